// Node `ws` server used by tests/node_interop.rs against nodews clients.
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer(
  {
    port: 0,
    host: '127.0.0.1',
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('second') ? 'second' : false),
  },
  () => console.log('port', wss.address().port)
);
wss.on('connection', (ws) => {
  ws.send('welcome ✓');
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text === 'close please') return ws.close(4005, 'node says bye');
    if (text !== null && text.startsWith('close:')) return ws.close(Number(text.slice(6)), 'r'.repeat(123));
    if (text === 'close without status') return ws.close();
    if (text === 'terminate please') return ws.terminate();
    ws.send(data, { binary: isBinary });
  });
  ws.on('ping', (d) => console.log('ping', d.toString()));
  ws.on('close', (code, reason) => console.log('close', code, reason.toString()));
});
