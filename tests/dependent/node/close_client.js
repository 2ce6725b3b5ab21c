// Node ws client for the server side of the close-code matrix (tests/dependent).
//
//   node close_client.js URL VALID_CODES INVALID_CODES     (codes comma-separated)
//
// Valid codes: connects to URL/valid/CODE, closes with ws's own close(CODE, reason)
// and prints the code its `close` event reports (the nodews server's echo):
//   valid CODE GOT
// Invalid codes: ws's close() refuses them, so it writes a raw masked client close
// frame carrying CODE straight to the socket, and prints the code the server answered
// with (RFC 6455 7.4.1: 1002, protocol error):
//   invalid CODE GOT
// A step that fails prints `valid|invalid CODE error MESSAGE`. Ends with `done`.
'use strict';
const WebSocket = require('ws');
const crypto = require('crypto');

const [url, validArg, invalidArg] = process.argv.slice(2);
const codes = (arg) => (arg ? arg.split(',').map(Number) : []);
const STEP_MS = 5000; // no single step may hang the run

// A masked client close frame (FIN + opcode 8) with a 2-byte code and a reason.
function rawCloseFrame(code, reason) {
  const payload = Buffer.concat([Buffer.alloc(2), Buffer.from(reason)]);
  payload.writeUInt16BE(code, 0);
  if (payload.length > 125) throw new Error('control frame payload too long');
  const mask = crypto.randomBytes(4);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i % 4];
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, masked]);
}

// Connects to `path`, runs `act(ws)` once open, and resolves with the close code
// ws reports, or an error message.
function step(path, act) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url + path);
    let error = null;
    const timer = setTimeout(() => {
      error = `no close within ${STEP_MS} ms`;
      ws.terminate();
    }, STEP_MS);
    ws.on('error', (e) => { error = error || e.message; });
    ws.on('open', () => act(ws));
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve(error ? `error ${error.replace(/\s+/g, ' ')}` : String(code));
    });
  });
}

(async () => {
  for (const code of codes(validArg)) {
    const got = await step(`/valid/${code}`, (ws) => ws.close(code, `node closes ${code}`));
    console.log(`valid ${code} ${got}`);
  }
  for (const code of codes(invalidArg)) {
    const got = await step(`/invalid/${code}`, (ws) =>
      ws._socket.write(rawCloseFrame(code, `invalid ${code}`)));
    console.log(`invalid ${code} ${got}`);
  }
  console.log('done');
})().catch((e) => {
  console.log(`fatal ${e.message}`);
  process.exit(1);
});
