// Bun server under test for benches/compare.sh (Bun.serve websocket handlers,
// uWebSockets underneath).
//
//   PORT=9001 MODE=echo bun benches/bun_server.js
//   PORT=9001 MODE=broadcast bun benches/bun_server.js   # relays through pub/sub publish
//
// Logs nothing per message. perMessageDeflate is off.
const port = Number(process.env.PORT || 8080);
const mode = process.env.MODE || 'echo';
if (mode !== 'echo' && mode !== 'broadcast') {
  throw new Error(`MODE must be echo or broadcast, not ${mode}`);
}

const server = Bun.serve({
  port,
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    maxPayloadLength: 100 * 1024 * 1024, // as ws's maxPayload
    idleTimeout: 0, // no idle pings/closes: ws has none by default
    open(ws) {
      if (mode === 'broadcast') ws.subscribe('all');
    },
    message(ws, message) {
      // A string is sent back as text, a Buffer as binary.
      if (mode === 'echo') ws.send(message);
      else server.publish('all', message); // server.publish: the sender included
    },
  },
});
console.log(`bun ${mode} server listening on port ${server.port}`);
process.on('SIGTERM', () => process.exit(0));
