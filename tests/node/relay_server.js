// A relay fed by an HTTP stream: each chunk of a POST to /feed is broadcast to every
// WebSocket client; the end of the POST is announced, then the POST is answered.
const http = require('http');
const { WebSocketServer } = require('ws');
const server = http.createServer((req, res) => {
  req.on('data', (chunk) => {
    wss.clients.forEach((ws) => ws.send(`chunk ${chunk}`));
  });
  req.on('end', () => {
    wss.clients.forEach((ws) => ws.send('end'));
    res.end('fed');
  });
});
const wss = new WebSocketServer({ server });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
