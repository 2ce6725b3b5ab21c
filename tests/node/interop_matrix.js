// Node `ws` client for the interop matrix (tests/node_interop.rs): every valid close
// code range both ways with a 123-byte reason, and 16 MiB text and binary echoes.
// Prints one line per check.
const WebSocket = require('ws');
const crypto = require('crypto');
const url = process.argv[2];
const codes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const reason = 'r'.repeat(123);

const connect = () => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});
const closed = (ws) => new Promise((resolve) => ws.once('close', (code, r) => resolve([code, r.toString()])));

(async () => {
  for (const code of codes) {
    // We close with the code: nodews echoes it back in its close frame.
    let ws = await connect();
    let done = closed(ws);
    ws.close(code, reason);
    let [got, r] = await done;
    console.log(`node-closed ${code} ${got} ${r === reason}`);
    // nodews closes with the code (the echo server obeys "close:<code>").
    ws = await connect();
    done = closed(ws);
    ws.send(`close:${code}`);
    [got, r] = await done;
    console.log(`nodews-closed ${code} ${got} ${r === reason}`);
  }
  const ws = await connect();
  const big = 16 * 1024 * 1024;
  const text = 'é'.repeat(big / 2);
  const binary = crypto.randomBytes(big);
  const echoes = [];
  ws.on('message', (data, isBinary) => echoes.push([data, isBinary]));
  ws.send(text);
  ws.send(binary);
  while (echoes.length < 2) await new Promise((r) => setTimeout(r, 20));
  console.log(`big-text ${!echoes[0][1] && echoes[0][0].toString() === text}`);
  console.log(`big-binary ${echoes[1][1] && echoes[1][0].equals(binary)}`);
  ws.close();
})().catch((e) => { console.log(`error ${e.message}`); process.exit(1); });
