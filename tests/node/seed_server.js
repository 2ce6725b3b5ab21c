// The seed tutorial's server (shared/seed/000_7deb26b4c5dd63fd.txt), as printed there,
// with two changes for testing: the port comes from $PORT (default 8080, as the seed),
// and the line breaks the page lost are restored ('...running.\n' had lost its backslash).
const WebSocket = require('ws');
const http = require('http');

// WebSocket通常运行在HTTP服务器之上
// 创建一个HTTP服务器,WebSocket服务器可以依附于它
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('WebSocket server is running.\n');
});

// 创建WebSocket服务器实例,并绑定到HTTP服务器
const wss = new WebSocket.Server({ server });

wss.on('connection', ws => {
  console.log('一个新的客户端连接了!');

  ws.on('message', message => {
    // 收到消息,这里可以做各种处理,比如广播给所有连接的客户端
    console.log(`收到消息: ${message}`);
    // 假设我们只是把收到的消息原封不动地发回去
    ws.send(`服务器收到你的消息: ${message}`);
  });

  ws.on('close', () => {
    console.log('一个客户端断开连接了。');
  });

  ws.on('error', error => {
    console.error('WebSocket 错误:', error);
  });

  // 连接建立后,也可以主动向客户端发送消息
  ws.send('欢迎连接到我的WebSocket服务器!');
});

// 启动HTTP服务器,监听端口
const PORT = process.env.PORT || 8080;
server.listen(PORT, () => {
  console.log(`WebSocket服务器在 http://localhost:${PORT} 上运行`);
});
