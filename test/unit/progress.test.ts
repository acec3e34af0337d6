// ffmpeg `-progress pipe:1` parsing: blocks, chunking, N/A values, percent, ETA; and the stderr tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { core } from './helpers/core';

const { ProgressParser } = core;
const { LineTail } = core.progress;

function block(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

const MID = {
  frame: '50',
  fps: '25.00',
  stream_0_0_q: '-0.0',
  bitrate: '1000.0kbits/s',
  total_size: '262144',
  out_time_us: '2000000',
  out_time_ms: '2000000',
  out_time: '00:00:02.000000',
  dup_frames: '0',
  drop_frames: '0',
  speed: '2.00x',
  progress: 'continue',
};

test('one complete block gives percent, frame, fps, speed, out time and ETA', () => {
  const p = new ProgressParser(10);
  const out = p.push(block(MID));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], { percent: 20, frame: 50, fps: 25, speed: 2, out_time_seconds: 2, eta_seconds: 4 });
});

test('no info until the block ends with progress=; a partial block is kept across chunks', () => {
  const p = new ProgressParser(4);
  const text = block({ ...MID, out_time_us: '1000000' });
  const cut = text.indexOf('out_time_us') + 5; // mid-key
  assert.deepEqual(p.push(text.slice(0, cut)), []);
  const cut2 = text.indexOf('progress=') + 4; // mid "progress"
  assert.deepEqual(p.push(text.slice(cut, cut2)), []);
  const out = p.push(text.slice(cut2));
  assert.equal(out.length, 1);
  assert.equal(out[0].percent, 25);
  assert.equal(out[0].out_time_seconds, 1);
});

test('byte-by-byte feeding gives the same result as one chunk', () => {
  const text = block(MID) + block({ ...MID, frame: '100', out_time_us: '4000000', progress: 'continue' });
  const whole = new ProgressParser(10).push(text);
  const bytewise = new ProgressParser(10);
  const got = [...text].flatMap((ch) => bytewise.push(ch));
  assert.deepEqual(got, whole);
  assert.equal(got.length, 2);
  assert.equal(got[1].frame, 100);
  assert.equal(got[1].percent, 40);
});

test('several blocks in one chunk each give one ProgressInfo, in order', () => {
  const p = new ProgressParser(8);
  const out = p.push(
    block({ ...MID, out_time_us: '1000000' }) + block({ ...MID, out_time_us: '2000000' }) + block({ ...MID, out_time_us: '6000000' }),
  );
  assert.deepEqual(
    out.map((o) => o.percent),
    [12.5, 25, 75],
  );
});

test('CRLF line endings and surrounding blanks are tolerated', () => {
  const p = new ProgressParser(10);
  const out = p.push(block(MID).replace(/\n/g, '\r\n'));
  assert.equal(out.length, 1);
  assert.equal(out[0].percent, 20);
  assert.equal(out[0].speed, 2);
});

test('N/A values become null, and so does what depends on them', () => {
  const p = new ProgressParser(10);
  const [o] = p.push(block({ frame: '0', fps: '0.00', out_time_us: 'N/A', out_time_ms: 'N/A', speed: 'N/A', progress: 'continue' }));
  assert.equal(o.out_time_seconds, null);
  assert.equal(o.speed, null);
  assert.equal(o.percent, null);
  assert.equal(o.eta_seconds, null);
  assert.equal(o.frame, 0);
});

test('older ffmpeg that only writes out_time_ms (in microseconds) is read the same way', () => {
  const p = new ProgressParser(10);
  const [o] = p.push(block({ frame: '10', out_time_ms: '5000000', speed: '1x', progress: 'continue' }));
  assert.equal(o.out_time_seconds, 5);
  assert.equal(o.percent, 50);
  assert.equal(o.eta_seconds, 5);
});

test('a negative out_time (ffmpeg before the first packet) is not a time', () => {
  const p = new ProgressParser(10);
  const [o] = p.push(block({ frame: '0', out_time_us: '-9223372036854775807', speed: 'N/A', progress: 'continue' }));
  assert.equal(o.out_time_seconds, null);
  assert.equal(o.percent, null);
});

test('percent is clamped to 100 when ffmpeg runs past the probed duration', () => {
  const p = new ProgressParser(1);
  const [o] = p.push(block({ ...MID, out_time_us: '1040000' }));
  assert.equal(o.percent, 100);
  assert.equal(o.eta_seconds, 0);
});

test('progress=end means 100 % and ETA 0, even when out_time lags', () => {
  const p = new ProgressParser(10);
  const [o] = p.push(block({ ...MID, out_time_us: '9960000', progress: 'end' }));
  assert.equal(o.percent, 100);
  assert.equal(o.eta_seconds, 0);
});

test('unknown duration: no percent and no ETA, but frame and speed still come through', () => {
  const p = new ProgressParser(null);
  const [o] = p.push(block(MID));
  assert.equal(o.percent, null);
  assert.equal(o.eta_seconds, null);
  assert.equal(o.frame, 50);
  assert.equal(o.speed, 2);
  const [end] = p.push(block({ ...MID, progress: 'end' }));
  assert.equal(end.percent, null, 'progress=end cannot invent a percent without a duration');
  assert.equal(end.eta_seconds, 0);
});

test('speed of zero gives no ETA rather than Infinity', () => {
  const p = new ProgressParser(10);
  const [o] = p.push(block({ ...MID, speed: '0x' }));
  assert.equal(o.eta_seconds, null);
});

test('values from one block do not leak into the next', () => {
  const p = new ProgressParser(10);
  p.push(block(MID));
  const [o] = p.push(block({ frame: '60', progress: 'continue' }));
  assert.equal(o.frame, 60);
  assert.equal(o.fps, null);
  assert.equal(o.speed, null);
  assert.equal(o.out_time_seconds, null);
});

test('lines without "=" and garbage values are ignored', () => {
  const p = new ProgressParser(10);
  const [o] = p.push('garbage line\n=novalue\n' + block({ frame: 'abc', fps: '25', out_time_us: '1000000', progress: 'continue' }));
  assert.equal(o.frame, null);
  assert.equal(o.fps, 25);
  assert.equal(o.percent, 10);
});

test('LineTail keeps the last lines whatever the chunking, and handles CR, CRLF and a last unterminated line', () => {
  const tail = new LineTail(3);
  tail.push('one\ntw');
  tail.push('o\r\nthree\rfour\n\n   \nfi');
  // At most 3 complete lines are kept; the unterminated last line comes on top of them.
  assert.deepEqual(tail.tail(10), ['two', 'three', 'four', 'fi']);
  assert.deepEqual(tail.tail(3), ['three', 'four', 'fi']);
  tail.push('ve\n');
  assert.deepEqual(tail.tail(10), ['three', 'four', 'five']);
  assert.deepEqual(tail.tail(2), ['four', 'five']);
});
