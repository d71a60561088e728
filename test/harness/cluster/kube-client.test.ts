// The real KubeClient against a fake apiserver on 127.0.0.1: bodies go out byte-for-byte (no model
// serialisation dropping CRD keywords such as `default`, `enum`, `x-kubernetes-*`), and answers
// come back as raw JSON.
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientNodeKubeClient, forReapply } from '../../../harness/cluster/kube-client.js';
import { InfraError } from '../../../harness/errors.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

const DISCOVERY: Record<string, unknown> = {
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [
    { name: 'namespaces', namespaced: false, kind: 'Namespace', verbs: ['get', 'list', 'patch', 'delete'] },
    { name: 'pods', namespaced: true, kind: 'Pod', verbs: ['get', 'list', 'patch'] },
    { name: 'events', namespaced: true, kind: 'Event', verbs: ['list'] },
  ] },
  '/apis/apiextensions.k8s.io/v1': { kind: 'APIResourceList', groupVersion: 'apiextensions.k8s.io/v1', resources: [
    { name: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition', verbs: ['get', 'patch'] },
  ] },
  '/apis/networking.k8s.io/v1': { kind: 'APIResourceList', groupVersion: 'networking.k8s.io/v1', resources: [
    { name: 'networkpolicies', namespaced: true, kind: 'NetworkPolicy', verbs: ['get', 'list', 'patch', 'delete'] },
  ] },
};

describe('cluster/kube-client: ClientNodeKubeClient against a fake apiserver', () => {
  let server: http.Server;
  let client: ClientNodeKubeClient;
  const seen: Seen[] = [];
  let reply: (s: Seen) => { status: number; body: unknown; text?: boolean } = () => ({ status: 200, body: {} });

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0]!;
        if (req.method === 'GET' && DISCOVERY[path]) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(DISCOVERY[path]));
          return;
        }
        const s: Seen = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body };
        seen.push(s);
        const r = reply(s);
        if (r.text) res.writeHead(r.status, { 'content-type': 'text/plain' }).end(String(r.body));
        else res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    client = new ClientNodeKubeClient(kc);
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    reply = (s) => ({ status: 200, body: JSON.parse(s.body || '{}') as unknown });
  });

  it('server-side applies with field manager netpol-harness and force, body unchanged', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'ippools.crd.projectcalico.org' },
      spec: { versions: [{ schema: { openAPIV3Schema: { properties: { mode: { type: 'string', enum: ['a', 'b'], default: 'a' }, port: { 'x-kubernetes-int-or-string': true } } } } }] },
    };
    const stored = await client.apply(crd);
    const s = seen[0]!;
    expect(s.method).to.equal('PATCH');
    expect(s.url).to.equal('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org?fieldManager=netpol-harness&force=true');
    expect(s.contentType).to.equal('application/apply-patch+yaml');
    expect(JSON.parse(s.body)).to.deep.equal(crd);
    expect(stored).to.deep.equal(crd);
  });

  it('get returns raw JSON (string timestamps), and undefined on 404', async () => {
    reply = () => ({ status: 200, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' } } });
    const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: 'a' });
    expect(ns?.metadata.creationTimestamp).to.equal('2026-01-01T00:00:00Z');
    reply = () => ({ status: 404, body: { kind: 'Status', message: 'namespaces "b" not found', code: 404 } });
    expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: 'b' })).to.equal(undefined);
    expect(await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'b' })).to.equal(false);
  });

  it('patchLabels sends a merge patch that nulls removed keys', async () => {
    reply = () => ({ status: 200, body: {} });
    await client.patchLabels({ apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-1' }, { role: 'db' }, ['app']);
    const s = seen[0]!;
    expect(s.url).to.equal('/api/v1/namespaces/demo/pods/web-1?fieldManager=netpol-harness');
    expect(s.contentType).to.equal('application/merge-patch+json');
    expect(JSON.parse(s.body)).to.deep.equal({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', labels: { role: 'db', app: null }, namespace: 'demo' } });
  });

  it('list passes selectors and returns items; errors become InfraErrors with the server message', async () => {
    reply = () => ({ status: 200, body: { kind: 'PodList', items: [{ metadata: { name: 'p1', namespace: 'demo' } }] } });
    const pods = await client.list('v1', 'Pod', { namespace: 'demo', labelSelector: 'netpol-harness/endpoint=web' });
    expect(seen[0]!.url).to.equal('/api/v1/namespaces/demo/pods?labelSelector=netpol-harness%2Fendpoint%3Dweb');
    expect(pods).to.deep.equal([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'demo' } }]);
    reply = () => ({ status: 422, body: { kind: 'Status', message: 'NetworkPolicy.networking.k8s.io "x" is invalid: spec.podSelector: Required value' } });
    let err: Error | undefined;
    try {
      await client.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x', namespace: 'demo' } });
    } catch (e) {
      err = e as Error;
    }
    expect(err).to.be.instanceOf(InfraError);
    expect(err!.message).to.equal('server-side apply of NetworkPolicy demo/x failed: HTTP 422: NetworkPolicy.networking.k8s.io "x" is invalid: spec.podSelector: Required value');
  });

  it('forReapply keeps what a user applied and drops server-managed fields', () => {
    const o = forReapply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'x', namespace: 'd', uid: 'u', resourceVersion: '5', managedFields: [], labels: { a: 'b' } },
      spec: { podSelector: {} },
      status: {},
    });
    expect(o).to.deep.equal({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x', namespace: 'd', labels: { a: 'b' } }, spec: { podSelector: {} } });
  });

  it('reads a bounded log tail of one container, of its previous instance when asked', async () => {
    reply = () => ({ status: 200, body: 'felix starting\n[FATAL] nft not found\n', text: true });
    const text = await client.logs('kube-system', 'calico-node-x', { container: 'calico-node', tailLines: 8, limitBytes: 4096, previous: true });
    expect(text).to.equal('felix starting\n[FATAL] nft not found\n');
    const u = new URL(seen[0]!.url, 'http://x');
    expect(seen[0]!.method).to.equal('GET');
    expect(u.pathname).to.equal('/api/v1/namespaces/kube-system/pods/calico-node-x/log');
    expect(Object.fromEntries(u.searchParams)).to.deep.equal({ container: 'calico-node', tailLines: '8', limitBytes: '4096', previous: 'true' });
    reply = () => ({ status: 400, body: { kind: 'Status', message: 'previous terminated container "calico-node" not found' } });
    const err = (await client.logs('kube-system', 'calico-node-x', { container: 'calico-node', previous: true }).catch((e: unknown) => e)) as Error;
    expect(err).to.be.instanceOf(InfraError);
    expect(err?.message).to.include('reading the log of container calico-node of pod kube-system/calico-node-x failed: HTTP 400');
  });
});
