#!/usr/bin/env python3
"""Writes the committed seed corpus fuzz/corpus/<target>/ (docs/fuzzing.md): a few small valid inputs per
harness, all synthetic (made here, no third-party data). Run from the repository root; it overwrites seeds."""
import io, json, os, struct, subprocess, tempfile, zipfile, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
KINDS = ['text_classification', 'text_spans', 'image_annotation', 'lidar_cuboids', 'llm_comparison', 'free_text']
K = {k: bytes([i]) for i, k in enumerate(KINDS)}
MEDIA = '0123456789abcdef' * 4


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def png(w=2, h=2):
    def chunk(t, b):
        return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b) & 0xffffffff)
    raw = b''.join(b'\0' + bytes([(x * 40 + y * 80) & 255 for x in range(w) for _ in range(3)]) for y in range(h))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


IMAGE_GEN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <webp/encode.h>
int main(int argc, char **argv) {
    unsigned char rgb[4 * 3 * 3], rgba[4 * 3 * 4];
    for (int i = 0; i < 12; i++) { rgb[3*i] = rgba[4*i] = i * 20; rgb[3*i+1] = rgba[4*i+1] = 255 - i * 20;
                                   rgb[3*i+2] = rgba[4*i+2] = 128; rgba[4*i+3] = 255; }
    for (int prog = 0; prog < 2; prog++) {
        struct jpeg_compress_struct c; struct jpeg_error_mgr e; unsigned char *mem = NULL; unsigned long n = 0;
        c.err = jpeg_std_error(&e); jpeg_create_compress(&c); jpeg_mem_dest(&c, &mem, &n);
        c.image_width = 4; c.image_height = 3; c.input_components = 3; c.in_color_space = JCS_RGB;
        jpeg_set_defaults(&c); if (prog) jpeg_simple_progression(&c); jpeg_start_compress(&c, TRUE);
        for (int y = 0; y < 3; y++) { unsigned char *row = rgb + y * 12; jpeg_write_scanlines(&c, &row, 1); }
        jpeg_finish_compress(&c); jpeg_destroy_compress(&c);
        FILE *f = fopen(argv[1 + prog], "wb"); fwrite(mem, 1, n, f); fclose(f); free(mem);
    }
    for (int lossless = 0; lossless < 2; lossless++) {
        unsigned char *w = NULL;
        size_t n = lossless ? WebPEncodeLosslessRGBA(rgba, 4, 3, 16, &w) : WebPEncodeRGBA(rgba, 4, 3, 16, 80, &w);
        FILE *f = fopen(argv[3 + lossless], "wb"); fwrite(w, 1, n, f); fclose(f); WebPFree(w);
    }
    return 0;
}
"""


def jpeg_webp():
    """A baseline and a progressive JPEG, a lossy and a lossless WebP, made with the libraries we link."""
    with tempfile.TemporaryDirectory() as t:
        src, exe = os.path.join(t, 'gen.c'), os.path.join(t, 'gen')
        open(src, 'w').write(IMAGE_GEN)
        subprocess.run(['cc', src, '-o', exe, '-ljpeg', '-lwebp'], check=True)
        outs = [os.path.join(t, n) for n in ('a.jpg', 'p.jpg', 'a.webp', 'l.webp')]
        subprocess.run([exe] + outs, check=True)
        return [open(o, 'rb').read() for o in outs]


def lzf_literal(b):
    """LZF with literal runs only (what PCD binary_compressed decoders must accept)."""
    out = b''
    for i in range(0, len(b), 32):
        part = b[i:i + 32]
        out += bytes([len(part) - 1]) + part
    return out


def zip_bytes(members):
    f = io.BytesIO()
    with zipfile.ZipFile(f, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return f.getvalue()


pts = [(1.0, 2.0, 0.5, 0.1), (-3.0, 0.25, 1.5, 0.9), (10.0, -4.0, -1.0, 0.5)]
velodyne = b''.join(struct.pack('<4f', *p) for p in pts)
nuscenes = b''.join(struct.pack('<5f', *p, 7.0) for p in pts)
pcd_head = ('# .PCD v0.7\nVERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\n'
            'WIDTH 3\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 3\nDATA ')
soa = b''.join(struct.pack('<3f', *(p[i] for p in pts)) for i in range(4))
label = ('Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n'
         'Pedestrian 0.00 0 0.21 423.17 173.67 433.17 224.03 1.87 0.50 0.90 -5.12 1.85 33.20 0.06\n'
         'DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\n')

# ---- import formats ----
lines = {
    'text_classification': {'data': {'text': 'great product'}, 'external_id': 'r1',
                            'gold': {'answer': {'label': 'pos'}, 'explanation': 'praise'}},
    'text_spans': {'data': {'text': 'Ada works at ACME'},
                   'predictions': {'spans': [{'id': 's1', 'start': 0, 'end': 3, 'label': 'PER'}]}},
    'image_annotation': {'data': {'image': {'url': 'https://example.org/a.png', 'width': 64, 'height': 48}},
                         'predictions': {'objects': [{'id': 'o1', 'class': 'car', 'type': 'bbox',
                                                      'bbox': [1, 2, 10, 20]}]}},
    'lidar_cuboids': {'data': {'pointcloud': {'media_id': MEDIA, 'points': 3}}, 'priority': 5},
    'llm_comparison': {'data': {'prompt': 'hi', 'responses': [{'id': 'a', 'text': 'x'}, {'id': 'b', 'text': 'y'}]}},
    'free_text': {'data': {'text': 'transcribe me'}},
}
for k, line in lines.items():
    put('fuzz_jsonl_import', k + '.jsonl', K[k] + (json.dumps(line) + '\n\n' + json.dumps(line) + '\r\n').encode())
put('fuzz_jsonl_import', 'bad-lines.jsonl', K['text_classification'] + b'{"data":{}}\nnot json\n{"data":{"text":""}}')

put('fuzz_csv_import', 'simple.csv', K['text_classification'] + b'text,external_id\nhello,a1\nworld,\n')
put('fuzz_csv_import', 'quoted.csv', K['free_text'] +
    b'text,note\r\n"a, ""quoted""\r\nmulti-line",x\r\n"caf\xc3\xa9",y')
put('fuzz_csv_import', 'ragged.csv', K['text_spans'] + b'text\n"open\nx,y\n')

ls_text = [{'id': 7, 'data': {'text': 'fine'}, 'meta': {'external_id': 'e7'},
            'predictions': [{'result': [{'type': 'choices', 'from_name': 'label', 'to_name': 'text',
                                         'value': {'choices': ['pos']}}]}]}]
ls_spans = [{'id': 1, 'data': {'text': 'Ada works at ACME'},
             'predictions': [{'result': [{'id': 'r1', 'type': 'labels', 'from_name': 'label', 'to_name': 'text',
                                          'value': {'start': 0, 'end': 3, 'text': 'Ada', 'labels': ['PER']}}]}]}]
ls_image = [{'id': 2, 'data': {'image': 'https://example.org/a.png'},
             'predictions': [{'result': [{'id': 'b1', 'type': 'rectanglelabels', 'from_name': 'label',
                                          'to_name': 'image', 'original_width': 64, 'original_height': 48,
                                          'value': {'x': 10, 'y': 10, 'width': 50, 'height': 25,
                                                    'rectanglelabels': ['car']}},
                                         {'id': 'p1', 'type': 'polygonlabels', 'from_name': 'label',
                                          'to_name': 'image', 'original_width': 64, 'original_height': 48,
                                          'value': {'points': [[1, 1], [50, 1], [20, 40]],
                                                    'polygonlabels': ['car']}}]}]}]
put('fuzz_labelstudio_import', 'text.json', K['text_classification'] + json.dumps(ls_text).encode())
put('fuzz_labelstudio_import', 'spans.json', K['text_spans'] + json.dumps(ls_spans).encode())
put('fuzz_labelstudio_import', 'image.json', K['image_annotation'] + json.dumps(ls_image).encode())

coco = {'images': [{'id': 1, 'file_name': 'a.png', 'width': 64, 'height': 48,
                    'coco_url': 'https://example.org/a.png'}, {'id': 2, 'file_name': 'b.png', 'width': 8, 'height': 8}],
        'categories': [{'id': 3, 'name': 'car', 'keypoints': ['a', 'b'], 'skeleton': [[1, 2]]}],
        'annotations': [{'id': 10, 'image_id': 1, 'category_id': 3, 'bbox': [1, 2, 10, 20]},
                        {'id': 11, 'image_id': 1, 'category_id': 3, 'segmentation': [[1, 1, 30, 1, 10, 20]]},
                        {'id': 12, 'image_id': 2, 'category_id': 3, 'keypoints': [1, 1, 2, 3, 3, 1]}]}
put('fuzz_coco_import', 'coco.json', K['image_annotation'] + json.dumps(coco).encode())
put('fuzz_coco_import', 'empty.json', K['image_annotation'] + b'{"images":[],"annotations":[],"categories":[]}')

# ---- point clouds ----
ascii_rows = ''.join('%g %g %g %g\n' % p for p in pts)
put('fuzz_pcd', 'ascii.pcd', b'\1' + (pcd_head + 'ascii\n' + ascii_rows).encode())
put('fuzz_pcd', 'binary.pcd', b'\0' + (pcd_head + 'binary\n').encode() + velodyne)
put('fuzz_pcd', 'compressed.pcd', b'\1' + (pcd_head + 'binary_compressed\n').encode() +
    struct.pack('<II', len(lzf_literal(soa)), len(soa)) + lzf_literal(soa))
put('fuzz_pcd', 'organized-nan.pcd', b'\1' + ('VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\n'
                                             'WIDTH 2\nHEIGHT 2\nPOINTS 4\nDATA ascii\n1 2 3\nnan nan nan\n'
                                             '4 5 6\n7 8 9\n').encode())
put('fuzz_pcd', 'xyz-double.pcd', b'\1' + ('VERSION .7\nFIELDS x y z rgb\nSIZE 8 8 8 4\nTYPE F F F U\nCOUNT 1 1 1 1\n'
                                          'WIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA binary\n').encode() +
    struct.pack('<3dI', 1.5, 2.5, 3.5, 0xff0000))
put('fuzz_kitti', 'velodyne.bin', b'\0' + velodyne)
put('fuzz_kitti', 'nuscenes.pcd.bin', b'\1' + nuscenes)
put('fuzz_kitti', 'label_2.txt', b'\2' + label.encode())

# ---- images ----
put('fuzz_image_header', 'tiny.png', png())
for name, data in zip(('tiny.jpg', 'progressive.jpg', 'lossy.webp', 'lossless.webp'), jpeg_webp()):
    put('fuzz_image_header', name, data)

# ---- ZIP archives through POST /media and the KITTI import ----
put('fuzz_zip_manifest', 'manifest.zip', b'\0' + zip_bytes([('manifest.json', json.dumps({'files': ['a.png', 'c/x.pcd']})),
                                                            ('a.png', png()),
                                                            ('c/x.pcd', pcd_head + 'ascii\n' + ascii_rows)]))
put('fuzz_zip_manifest', 'no-manifest.zip', b'\0' + zip_bytes([('b.png', png(3, 1)), ('.hidden', 'x'),
                                                               ('__MACOSX/b.png', 'x')]))
put('fuzz_zip_manifest', 'kitti.zip', b'\1' + zip_bytes([('velodyne/000001.bin', velodyne),
                                                         ('label_2/000001.txt', label),
                                                         ('image_2/000001.png', png())]))

# ---- every write route, with a body shaped by its OpenAPI schema ----
api = json.load(open(os.path.join(os.path.dirname(ROOT), '..', 'docs', 'openapi.json')))


def s_ref(ref):
    return ref.lstrip('#/').split('/')



def sample(s, depth=0):
    if depth > 5 or not isinstance(s, dict):
        return None
    if '$ref' in s:
        t = api
        for part in s_ref(s['$ref']):
            t = t.get(part, {})
        return sample(t, depth + 1)
    if s.get('allOf'):
        merged = {}
        for part in s['allOf'] + [{'properties': s.get('properties', {})}]:
            v = sample(part, depth + 1)
            if isinstance(v, dict):
                merged.update(v)
        return merged
    for key in ('oneOf', 'anyOf'):
        if key in s and s[key]:
            return sample(s[key][0], depth + 1)
    if 'enum' in s and s['enum']:
        return s['enum'][0]
    if 'const' in s:
        return s['const']
    t = s.get('type')
    if isinstance(t, list):
        t = next((x for x in t if x != 'null'), 'string')
    if t == 'object' or 'properties' in s:
        return {k: sample(v, depth + 1) for k, v in s.get('properties', {}).items()}
    if t == 'array':
        item = sample(s.get('items', {}), depth + 1)
        return [] if item is None else [item]
    if t == 'integer':
        return max(1, s.get('minimum', 1))
    if t == 'number':
        return 1.5
    if t == 'boolean':
        return True
    if t == 'string':
        return 'x' * max(1, s.get('minLength', 1))
    return None


import re
table = open(os.path.join(os.path.dirname(ROOT), '..', 'src', 'http', 'routes.c')).read()
routes = [{'method': m, 'pattern': p, 'max_body': b.strip()} for m, p, b in
          re.findall(r'\{"([A-Z]+)", "([^"]+)", \w+, [^,]+, ([^}]+)\}', table)]
n = 0
for r in routes:
    method, pattern = r['method'], r['pattern']
    if method in ('GET', 'HEAD') or r['max_body'] == '0' or pattern == '/api/v1/auth/logout':
        continue
    op = api['paths'].get(pattern, {}).get(method.lower(), {})
    content = op.get('requestBody', {}).get('content', {})
    body = sample(content.get('application/json', {}).get('schema', {})) if content else {}
    safe = (method + pattern).replace('/', '_').replace('{', '').replace('}', '')
    for variant in (0, 1):  # the first and second allowed role, id 1
        put('fuzz_routes', '%s-%d' % (safe, variant),
            ('%s %s\n' % (method, pattern)).encode() + bytes([variant]) + json.dumps(body).encode())
    n += 1
login = {'email': 'admin@example.org', 'password': 'fairlabel-demo'}
put('fuzz_routes', 'login-ok', b'POST /api/v1/auth/login\n\0' + json.dumps(login).encode())
put('fuzz_routes', 'tasks-ndjson', b'POST /api/v1/projects/{id}/tasks\n\1' +
    (json.dumps({'data': {'text': 'hello'}}) + '\n').encode())
put('fuzz_routes', 'tasks-csv', b'POST /api/v1/projects/{id}/tasks\n\x21text\nhello\n')
project = {'name': 'fuzz', 'kind': 'text_classification', 'schema': {'labels': ['pos', 'neg']},
           'reward_micros': 50000, 'currency': 'USD', 'estimated_seconds': 30, 'overlap': 1}
put('fuzz_routes', 'project', b'POST /api/v1/projects\n\0' + json.dumps(project).encode())
put('fuzz_routes', 'submit', b'POST /api/v1/assignments/{id}/submit\n\0{"answer":{"label":"positive"}}')
print('seeds written; %d write routes' % n)
