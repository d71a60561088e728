// The engine's side of random mode: deviating cells of a step, the cells a shrunk set must hold,
// and where a CNI profile and upstream semantics part.
import { expect } from 'chai';
import type { CellResult } from '../../../../harness/diff/result.js';
import { contextCells, deviationsOf, parseCol, profileVsUpstream, signatures, type OracleContext } from '../../../../harness/conformance/random/oracle.js';
import { kubeRouter, upstream } from '../../../../harness/policy/profiles.js';
import type { NetworkPolicy } from '../../../../harness/policy/types.js';

const cell = (src: string, col: string, simulated: 'allow' | 'deny', observed: CellResult['observed']): CellResult => ({ src, col, expected: simulated, simulated, ...(observed ? { observed } : {}) });
const denyX: NetworkPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'd', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'a' } } } };

describe('conformance --random: oracle', () => {
  it('deviationsOf keeps judged cells whose observed verdict differs from the simulation', () => {
    const cells = [
      cell('x/a', 'x/b:80/TCP', 'deny', { class: 'connected', attempts: 1 }),
      cell('x/a', 'x/b:81/TCP', 'deny', { class: 'refused', attempts: 1 }),
      cell('x/a', 'x/b:80/UDP', 'allow', { class: 'timeout', attempts: 3 }),
      cell('x/a', 'x/c:80/TCP', 'allow', { class: 'error', attempts: 1 }),
      // kube-router's order-dependent named ports: the engine cannot say, so no deviation either way.
      { ...cell('x/a', 'x/c:81/TCP', 'deny', { class: 'connected', attempts: 1 }), engineUnknown: true as const },
    ];
    expect(deviationsOf({ cells })).to.deep.equal([
      { src: 'x/a', col: 'x/b:80/TCP', simulated: 'deny', observed: 'connected' },
      { src: 'x/a', col: 'x/b:80/UDP', simulated: 'allow', observed: 'timeout' },
    ]);
  });

  it('parseCol reads pod and external columns; contextCells holds every port of the deviating pairs', () => {
    expect(parseCol('external:ext:80/TCP')).to.deep.equal({ dst: 'external:ext', port: 80, protocol: 'TCP' });
    const all = ['x/b:80/TCP', 'x/b:81/TCP', 'x/c:80/TCP', 'dns:kubernetes'].map((col) => ({ src: 'x/a', col }));
    expect(contextCells([{ src: 'x/a', col: 'x/b:80/TCP' }], all).map((c) => c.col)).to.deep.equal(['x/b:80/TCP', 'x/b:81/TCP']);
  });

  it('signatures carry the verdict and the reason per direction; upstream and kube-router agree on pod traffic', () => {
    const ctx: OracleContext = { cni: 'kube-router', profile: kubeRouter, addresses: new Map() };
    const cells = [{ src: 'x/b', col: 'x/a:80/TCP' }, { src: 'x/b', col: 'x/c:80/TCP' }];
    expect(signatures([denyX], cells, ctx)).to.deep.equal(['deny egress:not-isolated ingress:no-rule', 'allow egress:not-isolated ingress:not-isolated']);
    expect(profileVsUpstream([denyX], cells, ctx)).to.deep.equal([]);
    expect(profileVsUpstream([denyX], cells, { ...ctx, profile: upstream })).to.deep.equal([]);
  });
});
