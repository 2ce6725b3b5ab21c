// Node `ws` client used by tests/node_interop.rs against a nodews server.
// Prints one line per event so the Rust test can check what Node saw.
const WebSocket = require('ws');
const [url, mode] = process.argv.slice(2);
const out = (...a) => console.log(a.join(' '));
const ws = new WebSocket(url, mode === 'protocols' ? ['first', 'second'] : undefined);

ws.on('open', () => {
  out('open', ws.protocol);
  if (mode === 'protocols') return ws.close(1000, 'ok');
  if (mode === 'terminate') return ws.terminate();
  ws.send('héllo wörld ✓');
  ws.send(Buffer.from([0, 1, 2, 255]));
  ws.send('');
  ws.send('frag', { fin: false });
  ws.send('ment', { fin: true });
  ws.ping(Buffer.from('pingdata'));
});
let n = 0;
ws.on('message', (data, isBinary) => {
  out('message', isBinary ? 'binary' : 'text', isBinary ? data.toString('hex') : JSON.stringify(data.toString()));
  if (++n === 4) ws.close(4321, 'done from node');
});
ws.on('pong', (d) => out('pong', d.toString()));
ws.on('close', (code, reason) => out('close', code, reason.toString()));
ws.on('error', (e) => out('error', e.message));
