// Ephemeral containers for probing in place: the hardened specs, reuse across runs (they cannot
// be removed), the next free name when reuse is impossible, and the errors for clusters without
// the subresource, forbidden requests and images that cannot start.
/* eslint-disable @typescript-eslint/require-await -- the fake implements an async interface */
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { chooseContainer, ensureEphemeral, ephemeralSpec, PROBE_CONTAINER, WITNESS_CONTAINER, type EphemeralApi } from '../../../harness/apply/ephemeral.js';
import { InfraError, UsageError } from '../../../harness/errors.js';
import { fakeClock } from '../cluster/fake-kube.js';

const IMG = 'netpol-harness/agent:0.1.0';

function pod(eph: { name: string; image: string; state?: 'running' | 'terminated' | 'waiting' }[] = []): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', resourceVersion: '1' },
    spec: { containers: [{ name: 'app', image: 'app:1' }], ephemeralContainers: eph.map((e) => ({ name: e.name, image: e.image })) },
    status: {
      ephemeralContainerStatuses: eph.map((e) => ({
        name: e.name,
        image: e.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        state: e.state === 'terminated' ? { terminated: { exitCode: 1, reason: 'Error' } } : e.state === 'waiting' ? { waiting: { reason: 'ContainerCreating' } } : { running: {} },
      })),
    },
  };
}

/** A pod store: replaceEphemeral appends and (after `startAfter` reads) the container runs. */
class FakeApi implements EphemeralApi {
  replaces = 0;
  reads = 0;
  constructor(
    public current: V1Pod,
    private readonly behave: { fail?: (n: number) => Error | undefined; state?: 'running' | 'waiting' | 'terminated' | 'pullfail' } = {},
  ) {}
  async readPod(): Promise<V1Pod> {
    this.reads++;
    return structuredClone(this.current);
  }
  async replaceEphemeral(_ns: string, _name: string, body: V1Pod): Promise<V1Pod> {
    this.replaces++;
    const e = this.behave.fail?.(this.replaces);
    if (e) throw e;
    const added = body.spec!.ephemeralContainers!.at(-1)!;
    const state = this.behave.state ?? 'running';
    this.current.spec!.ephemeralContainers = body.spec!.ephemeralContainers;
    this.current.status!.ephemeralContainerStatuses = [
      ...(this.current.status!.ephemeralContainerStatuses ?? []),
      {
        name: added.name,
        image: added.image!,
        imageID: '',
        ready: false,
        restartCount: 0,
        state:
          state === 'pullfail'
            ? { waiting: { reason: 'ErrImagePull', message: 'not found' } }
            : state === 'terminated'
              ? { terminated: { exitCode: 2, reason: 'Error' } }
              : state === 'waiting'
                ? { waiting: { reason: 'ContainerCreating' } }
                : { running: {} },
      },
    ];
    return this.current;
  }
}

const httpError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

describe('apply/ephemeral', () => {
  it('the probe container is non-root, read-only, without capabilities; the witness is root with NET_RAW only', () => {
    const p = ephemeralSpec('probe', PROBE_CONTAINER, IMG);
    expect(p).to.deep.include({ name: 'nph-probe', image: IMG, command: ['/bin/nph-agent'], args: ['serve'] });
    expect(p.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 65534, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const w = ephemeralSpec('witness', WITNESS_CONTAINER, IMG);
    expect(w.securityContext).to.deep.include({ runAsUser: 0, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_RAW'] } });
    // No volume mounts: nothing of the pod's (and no service-account token) is mounted.
    expect(p.volumeMounts).to.equal(undefined);
    expect(w.volumeMounts).to.equal(undefined);
  });

  it('reuses a running container of the same role and image; otherwise adds one under the next free name', () => {
    expect(chooseContainer(pod(), 'probe', IMG)).to.deep.equal({ action: 'add', name: 'nph-probe', why: 'first use in this pod' });
    expect(chooseContainer(pod([{ name: 'nph-probe', image: IMG }]), 'probe', IMG)).to.deep.equal({ action: 'reuse', name: 'nph-probe' });
    expect(chooseContainer(pod([{ name: 'nph-probe', image: IMG, state: 'waiting' }]), 'probe', IMG)).to.deep.equal({ action: 'reuse', name: 'nph-probe' });
    // The witness is a role of its own.
    expect(chooseContainer(pod([{ name: 'nph-probe', image: IMG }]), 'witness', IMG)).to.include({ action: 'add', name: 'nph-witness' });
    const old = chooseContainer(pod([{ name: 'nph-probe', image: 'netpol-harness/agent:0.0.9' }]), 'probe', IMG);
    expect(old).to.include({ action: 'add', name: 'nph-probe-2' });
    expect((old as { why: string }).why).to.include('nph-probe (netpol-harness/agent:0.0.9)');
    const dead = pod([
      { name: 'nph-probe', image: IMG, state: 'terminated' },
      { name: 'nph-probe-2', image: IMG },
    ]);
    expect(chooseContainer(dead, 'probe', IMG)).to.deep.equal({ action: 'reuse', name: 'nph-probe-2' });
    expect(chooseContainer(pod([{ name: 'nph-probe', image: IMG, state: 'terminated' }, { name: 'nph-probe-2', image: 'x' }]), 'probe', IMG)).to.include({ name: 'nph-probe-3' });
  });

  it('adds the container once and waits until it runs; a second run reuses it without a write', async () => {
    const api = new FakeApi(pod());
    const first = await ensureEphemeral(api, 'ns', 'p', 'probe', IMG, { clock: fakeClock() });
    expect(first).to.include({ container: 'nph-probe', reused: false });
    expect(api.replaces).to.equal(1);
    expect(api.current.spec!.ephemeralContainers!.map((c) => c.name)).to.deep.equal(['nph-probe']);
    const again = await ensureEphemeral(api, 'ns', 'p', 'probe', IMG, { clock: fakeClock() });
    expect(again).to.include({ container: 'nph-probe', reused: true });
    expect(api.replaces).to.equal(1);
  });

  it('retries a conflicting write, and maps 404, 403 and 422 to usage errors saying what to do', async () => {
    const conflict = new FakeApi(pod(), { fail: (n) => (n === 1 ? httpError(409) : undefined) });
    expect(await ensureEphemeral(conflict, 'ns', 'p', 'probe', IMG, { clock: fakeClock() })).to.include({ reused: false });
    expect(conflict.replaces).to.equal(2);
    for (const [code, text] of [
      [404, 'no pods/ephemeralcontainers'],
      [403, 'forbidden'],
      [422, 'rejected the witness'],
    ] as const) {
      const api = new FakeApi(pod(), { fail: () => httpError(code) });
      const e = await ensureEphemeral(api, 'ns', 'p', 'witness', IMG, { clock: fakeClock() }).catch((x: unknown) => x);
      expect(e, String(code)).to.be.instanceOf(UsageError);
      expect((e as Error).message).to.include(text).and.include('pod ns/p');
    }
  });

  it('an image that cannot be pulled or a container that exits fails at once; one that never starts times out', async () => {
    for (const state of ['pullfail', 'terminated'] as const) {
      const e = await ensureEphemeral(new FakeApi(pod(), { state }), 'ns', 'p', 'probe', IMG, { clock: fakeClock(), timeoutMs: 60_000 }).catch((x: unknown) => x);
      expect(e).to.be.instanceOf(InfraError);
      expect((e as Error).message).to.match(state === 'pullfail' ? /ErrImagePull/ : /terminated: Error, exit code 2/);
    }
    const clock = fakeClock();
    const e = await ensureEphemeral(new FakeApi(pod(), { state: 'waiting' }), 'ns', 'p', 'probe', IMG, { clock, timeoutMs: 5000 }).catch((x: unknown) => x);
    expect((e as Error).message).to.include('not running after 5 s').and.include('ContainerCreating');
  });
});
