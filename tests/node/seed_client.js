// The seed tutorial's client (shared/seed/000_7deb26b4c5dd63fd.txt), as printed there,
// with two changes for testing: the port comes from $PORT (default 8080, as the seed),
// and `ws.onmessage = Event => {` is `event =>` (the page capitalised the parameter,
// which would make `event.data` a ReferenceError in Node).
const WebSocket = require('ws');

// 连接到服务器
const ws = new WebSocket(`ws://localhost:${process.env.PORT || 8080}`);

ws.onopen = () => {
  console.log('成功连接到WebSocket服务器。');
  // 连接成功后,可以立即发送消息
  ws.send('你好,服务器!我是客户端。');
};

ws.onmessage = event => {
  // 收到服务器发送过来的消息
  console.log(`收到服务器消息: ${event.data}`);
  // 可以在收到特定消息后,再发送一条消息
  if (event.data.includes('欢迎')) {
    setTimeout(() => {
      ws.send('服务器,我收到你的欢迎了!');
    }, 1000);
  }
};

ws.onerror = error => {
  console.error('WebSocket客户端错误:', error);
};

ws.onclose = () => {
  console.log('与服务器的连接已关闭。');
};

// 模拟一段时间后客户端主动关闭连接
setTimeout(() => {
  if (ws.readyState === WebSocket.OPEN) {
    ws.close();
    console.log('客户端主动关闭连接。');
  }
}, 5000);
