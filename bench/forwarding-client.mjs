// The forwarding bench's streaming client, in a process of its own as a client program is
// (bench/forwarding.ts). Two readers take turns on one keep-alive connection each:
// `socket` stamps a chunk when node:http hands over the bytes (what maxproxy delivers),
// `fetch` stamps it when a WHATWG stream reader of undici's fetch returns it (what an SDK
// built on fetch sees, its own reader included). process.hrtime is CLOCK_MONOTONIC, the
// clock the tap and the daemon stamp with.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true });

/** Splits SSE events out of `buf`, records each chat delta's content with the chunk's stamp. */
function consume(state, chunk, at) {
  state.buf += chunk;
  for (let i = state.buf.indexOf('\n\n'); i >= 0; i = state.buf.indexOf('\n\n')) {
    const ev = state.buf.slice(0, i);
    state.buf = state.buf.slice(i + 2);
    for (const line of ev.split('\n')) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const c = JSON.parse(line.slice(6)).choices?.[0]?.delta?.content;
      if (c) {
        state.text += c;
        state.deltas.push([c, at]);
      }
    }
  }
}

function viaSocket(port, body) {
  return new Promise((resolve, reject) => {
    const state = { buf: '', text: '', deltas: [] };
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (d) => consume(state, d, process.hrtime.bigint()));
        res.on('end', () => resolve(state));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function viaFetch(port, body) {
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const state = { buf: '', text: '', deltas: [] };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    consume(state, dec.decode(value, { stream: true }), process.hrtime.bigint());
  }
  return state;
}

process.on('message', async ({ port, body, reader }) => {
  try {
    const sentAt = process.hrtime.bigint();
    const { text, deltas } = await (reader === 'fetch' ? viaFetch : viaSocket)(port, body);
    process.send({ text, sentAt, deltas });
  } catch (e) {
    process.send({ error: String(e) });
  }
});
