// The AWS SDK for JavaScript v3 plays back a stream's archived media through kvsim serve,
// as application code does against AWS: GetDataEndpoint for each API, then GetClip (the
// streamed Payload read fully), GetImages, GetHLSStreamingSessionURL and ListFragments.
// Usage: node archived_media.js <base URL> <stream name> <start> <end>
// (start and end: epoch seconds of a PRODUCER_TIMESTAMP range). Prints one JSON line.
// Driven by tests/http/test_js_archived_media.py.
'use strict';
const crypto = require('node:crypto');
const { KinesisVideoClient, GetDataEndpointCommand } = require('@aws-sdk/client-kinesis-video');
const {
  KinesisVideoArchivedMediaClient,
  GetClipCommand,
  GetImagesCommand,
  GetHLSStreamingSessionURLCommand,
  ListFragmentsCommand,
} = require('@aws-sdk/client-kinesis-video-archived-media');

const [base, StreamName, start, end] = process.argv.slice(2);
const config = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDJSSDK', secretAccessKey: 'not-checked' },
};
const range = {
  StartTimestamp: new Date(Number(start) * 1000),
  EndTimestamp: new Date(Number(end) * 1000),
};
const selector = { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range };

async function archive(APIName) {
  const kv = new KinesisVideoClient({ ...config, endpoint: base });
  const { DataEndpoint } = await kv.send(new GetDataEndpointCommand({ StreamName, APIName }));
  return {
    endpoint: DataEndpoint,
    client: new KinesisVideoArchivedMediaClient({ ...config, endpoint: DataEndpoint }),
  };
}

async function main() {
  const out = { endpoints: {} };

  const clipApi = await archive('GET_CLIP');
  out.endpoints.GET_CLIP = clipApi.endpoint;
  const clip = await clipApi.client.send(
    new GetClipCommand({ StreamName, ClipFragmentSelector: selector }),
  );
  const payload = Buffer.from(await clip.Payload.transformToByteArray());
  out.clip = {
    contentType: clip.ContentType,
    length: payload.length,
    head: payload.subarray(0, 8).toString('hex'),
    sha256: crypto.createHash('sha256').update(payload).digest('hex'),
  };

  const imagesApi = await archive('GET_IMAGES');
  out.endpoints.GET_IMAGES = imagesApi.endpoint;
  out.images = [];
  out.imagePages = 0;
  let NextToken;
  do {
    const page = await imagesApi.client.send(
      new GetImagesCommand({
        StreamName,
        ImageSelectorType: 'PRODUCER_TIMESTAMP',
        StartTimestamp: new Date(range.StartTimestamp.getTime() - 1000),
        EndTimestamp: new Date(range.EndTimestamp.getTime() + 3000),
        SamplingInterval: 1000,
        Format: 'JPEG',
        WidthPixels: 160,
        HeightPixels: 120,
        MaxResults: 4,
        NextToken,
      }),
    );
    out.imagePages += 1;
    for (const image of page.Images) {
      out.images.push({
        timeStamp: image.TimeStamp.toISOString(),
        error: image.Error ?? null,
        contentLength: image.ImageContent === undefined ? null : image.ImageContent.length,
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);

  const hlsApi = await archive('GET_HLS_STREAMING_SESSION_URL');
  out.endpoints.GET_HLS_STREAMING_SESSION_URL = hlsApi.endpoint;
  const hls = await hlsApi.client.send(
    new GetHLSStreamingSessionURLCommand({
      StreamName,
      PlaybackMode: 'ON_DEMAND',
      HLSFragmentSelector: selector,
    }),
  );
  out.hlsUrl = hls.HLSStreamingSessionURL;

  const listed = await clipApi.client.send(new ListFragmentsCommand({ StreamName }));
  out.fragments = listed.Fragments.map((f) => ({
    number: f.FragmentNumber,
    producerTimestamp: f.ProducerTimestamp.toISOString(),
    lengthMs: f.FragmentLengthInMilliseconds,
    size: f.FragmentSizeInBytes,
  }));

  console.log(JSON.stringify(out));
}

main().catch((error) => {
  console.log(JSON.stringify({ error: `${error.name}: ${error.message}` }));
  process.exit(1);
});
