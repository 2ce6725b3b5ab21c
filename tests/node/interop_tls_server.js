// Node `ws` server on Node's `https` module, used by tests/node_tls.rs against the
// nodews wss client. Usage: node interop_tls_server.js cert.pem key.pem
const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');
const [certPath, keyPath] = process.argv.slice(2);
const server = https.createServer(
  { cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) },
  (req, res) => res.end('https from node\n')
);
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  console.log('connection encrypted', Boolean(req.socket.encrypted));
  ws.send('welcome over tls ✓');
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'close please') return ws.close(4005, 'node says bye');
    ws.send(data, { binary: isBinary });
  });
  ws.on('close', (code, reason) => console.log('close', code, reason.toString()));
});
server.listen(0, '127.0.0.1', () => console.log('port', server.address().port));
