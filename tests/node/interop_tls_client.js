// Node `ws` client used by tests/node_tls.rs against a nodews wss server.
// Usage: node interop_tls_client.js wss://... [ca.pem]
// Without ca.pem Node's default roots apply, so a self-signed server is refused.
// Prints one line per event so the Rust test can check what Node saw.
const fs = require('fs');
const WebSocket = require('ws');
const [url, caPath] = process.argv.slice(2);
const out = (...a) => console.log(a.join(' '));
const ws = new WebSocket(url, caPath ? { ca: fs.readFileSync(caPath) } : {});

ws.on('open', () => {
  out('open');
  ws.send('héllo over tls ✓');
  ws.send(Buffer.from([0, 1, 255]));
});
let n = 0;
ws.on('message', (data, isBinary) => {
  out('message', isBinary ? 'binary' : 'text', isBinary ? data.toString('hex') : data.toString());
  if (++n === 3) ws.close(4321, 'done from node');
});
ws.on('close', (code, reason) => out('close', code, reason.toString()));
ws.on('error', (e) => out('error', e.code, e.message));
