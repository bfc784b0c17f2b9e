// Points the real Kore Web SDK at a Colloquy server. `window.COLLOQUY_DEMO` comes from config.js.
(function () {
  var cfg = window.COLLOQUY_DEMO;
  var key = 'colloquy-demo-identity';
  var identity = new URLSearchParams(location.search).get('identity') || localStorage.getItem(key);
  if (!identity) {
    identity = 'demo-user-' + Math.random().toString(36).slice(2, 10) + '@example.com';
    localStorage.setItem(key, identity);
  }
  document.getElementById('identity').textContent = identity;

  var chatConfig = KoreChatSDK.chatConfig;
  var botOptions = chatConfig.botOptions;
  botOptions.koreAPIUrl = cfg.apiUrl;
  botOptions.JWTUrl = cfg.jwtUrl;
  botOptions.userIdentity = identity;
  botOptions.botInfo = { name: cfg.botName, _id: cfg.botId };
  botOptions.clientId = cfg.clientId;
  botOptions.clientSecret = cfg.clientSecret;
  chatConfig.minimizeMode = false;
  chatConfig.allowLocation = false;

  window.chatWindowInstance = new KoreChatSDK.chatWindow();
  window.chatWindowInstance.show(chatConfig);
})();
