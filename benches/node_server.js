// Node `ws` server under test for benches/compare.sh.
//
//   PORT=9001 MODE=echo node benches/node_server.js          # echo, with bufferutil if installed
//   WS_NO_BUFFER_UTIL=1 PORT=9001 node benches/node_server.js # same without bufferutil
//   PORT=9001 MODE=broadcast node benches/node_server.js     # ws README broadcast recipe
//
// Logs nothing per message. perMessageDeflate is off (ws's server default).
'use strict';

const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.env.PORT || 8080);
const mode = process.env.MODE || 'echo';
const wss = new WebSocketServer({ port, perMessageDeflate: false });

if (mode === 'echo') {
  wss.on('connection', function connection(ws) {
    ws.on('error', console.error);
    ws.on('message', function message(data, isBinary) {
      ws.send(data, { binary: isBinary });
    });
  });
} else if (mode === 'broadcast') {
  // ws README, "Server broadcast": every open client, the sender included.
  wss.on('connection', function connection(ws) {
    ws.on('error', console.error);
    ws.on('message', function message(data, isBinary) {
      wss.clients.forEach(function each(client) {
        if (client.readyState === WebSocket.OPEN) {
          client.send(data, { binary: isBinary });
        }
      });
    });
  });
} else {
  throw new Error(`MODE must be echo or broadcast, not ${mode}`);
}

wss.on('listening', () => {
  const bu = process.env.WS_NO_BUFFER_UTIL ? 'without' : 'with';
  console.log(`node ws ${mode} server listening on port ${port} (${bu} bufferutil)`);
});
process.on('SIGTERM', () => process.exit(0));
