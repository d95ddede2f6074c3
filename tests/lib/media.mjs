// Small media files made in the test: valid PNGs of any size and colour, and KITTI velodyne .bin clouds.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGB PNG of width × height filled with one colour (random unless given), so each call can differ. */
export function pngBytes({ width = 4, height = 3, rgb } = {}) {
  const [r, g, b] = rgb || [Math.random() * 256, Math.random() * 256, Math.random() * 256].map(Math.floor);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A KITTI velodyne .bin: float32 x, y, z, reflectance per point. */
export function kittiBin(points) {
  const buf = Buffer.alloc(points.length * 16);
  points.forEach(([x, y, z, i], n) => {
    buf.writeFloatLE(x, n * 16);
    buf.writeFloatLE(y, n * 16 + 4);
    buf.writeFloatLE(z, n * 16 + 8);
    buf.writeFloatLE(i ?? 0, n * 16 + 12);
  });
  return buf;
}

/** A ZIP archive (stored, no compression) of { name: Buffer }. */
export function zipBytes(files) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8); central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24); central.writeUInt16LE(n.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10); end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** KITTI velodyne .bin bytes (float32 x, y, z, reflectance 0–1) → the browser layout FLPC v1 (see
 * src/core/pointcloud.h and web/static/editors/lidar.js), as the server would convert them. */
export function kittiToFlpc(raw) {
  const n = Math.floor(raw.length / 16);
  const src = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + n * 16));
  const out = Buffer.alloc(48 + n * 13);
  out.write('FLPC', 0, 'latin1');
  out.writeUInt32LE(1, 4);
  out.writeUInt32LE(n, 8);
  out.writeUInt32LE(1, 12);
  const xyz = new Float32Array(out.buffer, out.byteOffset + 48, n * 3);
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = src[4 * i + k];
      xyz[3 * i + k] = v;
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
    out[48 + n * 12 + i] = Math.max(0, Math.min(255, Math.round(src[4 * i + 3] * 255)));
  }
  for (let k = 0; k < 3; k++) { out.writeFloatLE(min[k], 16 + 4 * k); out.writeFloatLE(max[k], 28 + 4 * k); }
  return out;
}
