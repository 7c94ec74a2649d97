// Free ports on 127.0.0.1 for tests that need a fixed number (a config file, a SIPp command line).
import dgram from 'node:dgram';
import net from 'node:net';

function bindUdp(port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

function bindTcp(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/**
 * A port free for both UDP and TCP, with `span - 1` free UDP ports after it (SIPp binds the
 * media port and the one two above it for -rtp_echo). Bounded: 50 attempts.
 */
export async function freePort(span = 1): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await bindUdp(0);
    if (first === null) continue;
    const port = (first.address() as { port: number }).port;
    const held: dgram.Socket[] = [first];
    let ok = port + span < 65535;
    for (let i = 1; ok && i < span; i++) {
      const s = await bindUdp(port + i);
      if (s === null) ok = false;
      else held.push(s);
    }
    const tcp = ok ? await bindTcp(port) : null;
    for (const s of held) s.close();
    if (tcp !== null) {
      await new Promise<void>((r) => tcp.close(() => r()));
      return port;
    }
  }
  throw new Error('no free port found in 50 attempts');
}

/** A block of `count` consecutive free UDP ports (for rtp.ports), below the ephemeral range. */
export async function freeRange(count: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = 20000 + 2 * Math.floor(Math.random() * 6000);
    const held: dgram.Socket[] = [];
    let ok = true;
    for (let p = min; ok && p < min + count; p++) {
      const s = await bindUdp(p);
      if (s === null) ok = false;
      else held.push(s);
    }
    for (const s of held) s.close();
    if (ok) return { min, max: min + count - 1 };
  }
  throw new Error(`no block of ${count} free UDP ports found in 50 attempts`);
}
