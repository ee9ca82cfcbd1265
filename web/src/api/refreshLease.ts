// Only one tab may spend the refresh token. Web Locks serialise that, but browsers
// offer navigator.locks only on secure origins (https, localhost): a learner on
// http://<LAN address>:8000 has none. There a short lease in localStorage stands in: a
// tab writes its id and an expiry, waits a moment, and holds the lease only if its own
// id is still the one stored (of two tabs writing at once, the later write wins and
// the other waits). A tab that dies holding it blocks the others until it expires.
const LOCK = "studygraph.refresh";
const LEASE_KEY = "studygraph.refresh-lease";
// Longer than a refresh request takes; short enough that a closed tab's lease lapses soon.
const LEASE_MS = 10_000;
// Long enough for another tab's competing write to land before we read ours back.
const SETTLE_MS = 60;
const RETRY_MS = 100;

type Lease = { owner: string; expires: number };

const me = crypto.randomUUID();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readLease(): Lease | null {
  try {
    return JSON.parse(localStorage.getItem(LEASE_KEY) ?? "null") as Lease | null;
  } catch {
    return null;
  }
}

async function acquireLease(): Promise<void> {
  for (;;) {
    const held = readLease();
    if (!held || held.expires <= Date.now() || held.owner === me) {
      localStorage.setItem(LEASE_KEY, JSON.stringify({ owner: me, expires: Date.now() + LEASE_MS }));
      await sleep(SETTLE_MS);
      if (readLease()?.owner === me) return;
    }
    await sleep(RETRY_MS);
  }
}

function releaseLease(): void {
  if (readLease()?.owner === me) localStorage.removeItem(LEASE_KEY);
}

// Runs `work` while no other tab of this origin runs its own.
export async function exclusively<T>(work: () => Promise<T>): Promise<T> {
  if ("locks" in navigator && navigator.locks) return navigator.locks.request(LOCK, work);
  await acquireLease();
  try {
    return await work();
  } finally {
    releaseLease();
  }
}
