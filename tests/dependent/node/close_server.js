// Node ws server for the client side of the close-code matrix (tests/dependent).
//
//   node close_server.js        prints `port N` once listening on 127.0.0.1
//
// A connection to /node-closes/CODE is closed by this server with CODE at once; one
// to /nodews-closes/CODE waits for the nodews client to close. Either way, when the
// socket closes it prints the code its `close` event reports:
//   closed PATH CODE
// Exits when its stdin ends (the checker went away).
'use strict';
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () =>
  console.log(`port ${wss.address().port}`));
wss.on('connection', (ws, req) => {
  ws.on('error', (e) => console.log(`error ${req.url} ${e.message}`));
  ws.on('close', (code) => console.log(`closed ${req.url} ${code}`));
  const m = /^\/node-closes\/(\d+)$/.exec(req.url);
  if (m) ws.close(Number(m[1]), `node closes ${m[1]}`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
