// A master and a viewer of the real amazon-kinesis-video-streams-webrtc SDK exchange
// an SDP offer, an SDP answer and ICE candidates through kvsim serve.
// Usage: node signaling.js '<json: {channelARN, region, master: wssEndpoint, viewer: wssEndpoint}>'
// Prints one JSON line with what each side received; exits 1 on error or timeout.
'use strict';
global.WebSocket = require('ws'); // Node 20 has no global WebSocket
const { SignalingClient, SigV4RequestSigner, Role } = require('amazon-kinesis-video-streams-webrtc');

const config = JSON.parse(process.argv[2]);
const credentials = { accessKeyId: config.accessKeyId || 'AKIDEXAMPLE', secretAccessKey: 'secret' };

// The SDK signs wss:// URLs only; kvsim serve answers ws:// on loopback. Sign the
// wss:// form with the SDK's own signer, then connect to the ws:// one.
const signer = new SigV4RequestSigner(config.region, credentials);
const requestSigner = {
  getSignedURL: (endpoint, queryParams, date) =>
    signer
      .getSignedURL(endpoint.replace(/^ws:/, 'wss:'), queryParams, date)
      .then((url) => url.replace(/^wss:/, 'ws:')),
};

const received = { master: [], viewer: [] };
const fail = (why) => {
  console.log(JSON.stringify({ error: String(why), received }));
  process.exit(1);
};
setTimeout(() => fail('timeout'), 20000);

const master = new SignalingClient({
  channelARN: config.channelARN,
  channelEndpoint: config.master,
  role: Role.MASTER,
  region: config.region,
  requestSigner,
});
const viewer = new SignalingClient({
  channelARN: config.channelARN,
  channelEndpoint: config.viewer,
  clientId: 'js-viewer',
  role: Role.VIEWER,
  region: config.region,
  requestSigner,
});

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const answer = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const candidate = (n) => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 5${n}000 typ host`, sdpMid: '0', sdpMLineIndex: 0 });

master.on('sdpOffer', (sdp, from) => {
  received.master.push({ type: 'sdpOffer', sdp, from });
  master.sendSdpAnswer(answer, from);
  master.sendIceCandidate(candidate(2), from);
});
master.on('iceCandidate', (c, from) => received.master.push({ type: 'iceCandidate', candidate: c, from }));
viewer.on('sdpAnswer', (sdp, from) => received.viewer.push({ type: 'sdpAnswer', sdp, from: from || null }));
viewer.on('iceCandidate', (c, from) => {
  received.viewer.push({ type: 'iceCandidate', candidate: c, from: from || null });
  finish();
});
for (const [name, client] of [['master', master], ['viewer', viewer]]) {
  client.on('error', (e) => fail(`${name}: ${e && e.message ? e.message : e}`));
}

let closed = 0;
function finish() {
  if (received.master.length < 2) {
    setTimeout(finish, 50);
    return;
  }
  for (const client of [master, viewer]) {
    client.on('close', () => {
      closed += 1;
      if (closed === 2) {
        console.log(JSON.stringify({ received }));
        process.exit(0);
      }
    });
    client.close();
  }
}

master.on('open', () => viewer.open());
viewer.on('open', () => {
  viewer.sendSdpOffer(offer);
  viewer.sendIceCandidate(candidate(1));
});
master.open();
