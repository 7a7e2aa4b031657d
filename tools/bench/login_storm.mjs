// login_storm.mjs BASE TOKEN EMAIL - the login-storm scenario of `make bench`
// (tools/bench/run.sh): GET /v1/me with a coordinator's token, one request
// at a time on one keep-alive connection, for BENCH_STORM_SECONDS (5) alone,
// then as long again while STORM (16) concurrent wrong-password logins (for
// unknown e-mails made from EMAIL, so that per-e-mail throttling does not
// answer first) from rotating client addresses (X-Forwarded-For; kompasd trusts
// 127.0.0.1 in the bench) go on, each client pausing 50 ms after a 503.
// Prints one JSON line: p50/p99/max of /v1/me alone and during the storm
// (ms) and what the logins were answered.
const [base, token, email] = process.argv.slice(2);
if (!base || !token || !email) { console.error('usage: login_storm.mjs BASE TOKEN EMAIL'); process.exit(2); }
const seconds = Number(process.env.BENCH_STORM_SECONDS || 5);
const STORM = Number(process.env.BENCH_STORM || 16);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function measure(ms) {
  const out = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    const r = await fetch(`${base}/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET /v1/me answered ${r.status}`);
    out.push(performance.now() - t);
  }
  return out;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: +q(0.5).toFixed(2), p99: +q(0.99).toFixed(2), max: +s[s.length - 1].toFixed(2) };
}

await measure(500); // warm-up
const alone = stats(await measure(seconds * 1000));
let stop = false;
let n = 0;
const answers = {};
const storm = Array.from({ length: STORM }, async () => {
  while (!stop) {
    n++;
    const r = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': `10.77.${(n >> 8) & 255}.${n & 255}` },
      body: JSON.stringify({ email: email.replace('@', `-${n}@`), password: `wrong-${n}` }),
    });
    await r.arrayBuffer();
    answers[r.status] = (answers[r.status] || 0) + 1;
    if (r.status === 503) await sleep(50);
  }
});
await sleep(300); // the storm under way
const during = stats(await measure(seconds * 1000));
stop = true;
await Promise.all(storm);
console.log(JSON.stringify({ alone, during, logins: answers, storm: STORM, seconds }));
