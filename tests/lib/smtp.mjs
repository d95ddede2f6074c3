// A local SMTP sink for tests (npm smtp-server): point a server at it with FAIRLABEL_SMTP_URL=smtp://127.0.0.1:PORT.
//
//   const sink = await startSmtpSink();
//   const m = await sink.waitFor((m) => m.to.includes('a@example.org'), 10000);
//   m.subject, m.text (decoded), m.headers['message-id'], m.from, m.to, m.raw
//   sink.refuse = 1;        // refuse the next RCPT TO with 450 (a temporary failure); Infinity refuses all
//   sink.refuse = (address) => bool;   // or refuse the recipients it picks
//   await sink.close();
import { SMTPServer } from 'smtp-server';

/** Decodes RFC 2047 encoded words (B and Q, UTF-8) in a header value. */
export function decodeWords(v) {
  return v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, cs, enc, text) => {
    const bytes = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'binary');
    return bytes.toString(cs.toLowerCase() === 'utf-8' ? 'utf8' : 'latin1');
  });
}

/** Splits a raw message into lower-cased unfolded headers and the decoded text body. */
export function parseMessage(raw) {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const headers = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.slice(at + 4);
  const cte = (headers['content-transfer-encoding'] || '').toLowerCase();
  if (cte === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { headers, subject: decodeWords(headers.subject || ''), text: body.replace(/\r\n/g, '\n') };
}

export async function startSmtpSink() {
  const messages = [];
  const waiters = new Set();
  const sink = { messages, refuse: 0, refused: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, session, cb) {
      const no = typeof sink.refuse === 'function' ? sink.refuse(address.address) : sink.refuse > 0;
      if (no) {
        if (typeof sink.refuse !== 'function') sink.refuse--;
        sink.refused++;
        const e = new Error('mailbox busy, try again later');
        e.responseCode = 450;
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const m = {
          from: session.envelope.mailFrom && session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parseMessage(raw),
        };
        messages.push(m);
        for (const w of waiters) w();
        cb();
      });
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  sink.port = server.server.address().port;
  sink.url = `smtp://127.0.0.1:${sink.port}`;
  /** The first message (already received or arriving within ms) for which pred is true. */
  sink.waitFor = (pred, ms = 10000) => new Promise((resolve, reject) => {
    const check = () => {
      const m = messages.find(pred);
      if (!m) return false;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(m);
      return true;
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no matching message within ${ms} ms; received: ${JSON.stringify(messages.map((m) => [m.to, m.subject]))}`));
    }, ms);
    if (!check()) waiters.add(check);
  });
  sink.close = () => new Promise((resolve) => server.close(resolve));
  return sink;
}
