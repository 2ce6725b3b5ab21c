// The header calls of tests/http_sharing.rs's Node-style headers test, in Node's http.
const http = require('http');
const server = http.createServer((req, res) => {
  res.setHeader('Set-Cookie', ['a=1', 'b=2']);
  res.appendHeader('Set-Cookie', 'c=3');
  res.setHeader('X-Removed', 'gone');
  res.removeHeader('x-removed');
  res.setHeader('X-Has', String(res.hasHeader('set-cookie')));
  res.setHeader('X-Get', String(res.getHeader('x-has')));
  res.statusCode = 418;
  res.statusMessage = 'Short and stout';
  res.end('teapot');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
