// Node ws clients for the idle-memory check (tests/dependent).
//
//   node idle_clients.js URL COUNT
//
// Opens COUNT connections to URL (at most IN_FLIGHT handshakes at a time) and keeps
// them idle; prints `open COUNT` once all are open. On the line `close` on stdin it
// closes them all (1000) and prints `closed COUNT` once every one has closed, then
// exits. Any failure prints `error MESSAGE` and exits 1. Exits when stdin ends.
'use strict';
const WebSocket = require('ws');
const readline = require('readline');

const [url, countArg] = process.argv.slice(2);
const count = Number(countArg);
const IN_FLIGHT = 100;
const sockets = [];
let started = 0;
let opened = 0;
let closed = 0;
let closing = false;

const fail = (message) => {
  console.log(`error ${message}`);
  process.exit(1);
};

function openNext() {
  if (started === count) return;
  const n = ++started;
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.on('error', (e) => fail(`connection ${n}: ${e.message}`));
  ws.once('open', () => {
    if (++opened === count) console.log(`open ${count}`);
    openNext();
  });
  ws.on('close', (code) => {
    if (!closing) fail(`connection ${n} closed early (${code})`);
    if (++closed === count) {
      console.log(`closed ${count}`);
      process.exit(0);
    }
  });
}

for (let i = 0; i < Math.min(IN_FLIGHT, count); i++) openNext();

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() !== 'close' || closing) return;
  closing = true;
  for (const ws of sockets) ws.close(1000);
});
input.on('close', () => process.exit(0));
