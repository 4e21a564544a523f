// Resolve a DASH manifest as video.js's player does (mpd-parser): the manifest
// text on standard input, its URL as the first argument; prints the first
// playlist's init segment and media segments (absolute URLs, numbers,
// durations, presentation times) as JSON. Driven by tests/http/test_playback_server.py.
const { parse } = require("mpd-parser");

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (piece) => {
  text += piece;
});
process.stdin.on("end", () => {
  const manifest = parse(text, { manifestUri: process.argv[2] });
  const playlist = manifest.playlists[0];
  const first = playlist.segments[0];
  console.log(
    JSON.stringify({
      codecs: playlist.attributes.CODECS,
      resolution: playlist.attributes.RESOLUTION,
      init: first && first.map ? first.map.resolvedUri : null,
      segments: playlist.segments.map((s) => ({
        uri: s.resolvedUri,
        number: s.number,
        duration: s.duration,
        presentationTime: s.presentationTime,
      })),
    }),
  );
});
