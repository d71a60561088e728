// Building the agent image from the shipped binary when the engine lacks it: the argv run, the build
// context (FROM scratch, the binary, /tmp, /etc/passwd) and the errors when it cannot be built.
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentDockerfile, ensureAgentImage } from '../../../../harness/cluster/agent/image.js';
import type { CommandResult, CommandRunner } from '../../../../harness/cluster/command.js';
import { InfraError } from '../../../../harness/errors.js';

interface Seen {
  calls: string[][];
  context?: { dockerfile: string; binary: string; tmpMode: number; passwd: string };
}

function fakeDocker(opts: { has: boolean; arch?: string; inspectErr?: string; version?: string }): { runner: CommandRunner; seen: Seen } {
  const seen: Seen = { calls: [] };
  const ok = (stdout = ''): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
  const runner: CommandRunner = {
    run(_file, args) {
      seen.calls.push(args);
      if (args[0] === 'image') return Promise.resolve(opts.has ? ok('sha256:abc') : { stdout: '', stderr: opts.inspectErr ?? 'Error: No such image', exitCode: 1 });
      if (args[0] === 'version') return Promise.resolve(ok(opts.arch ?? 'amd64'));
      if (args[0] === 'build') {
        const ctx = args[args.length - 1]!;
        seen.context = {
          dockerfile: readFileSync(path.join(ctx, 'Dockerfile'), 'utf8'),
          binary: readFileSync(path.join(ctx, 'nph-agent'), 'utf8'),
          tmpMode: statSync(path.join(ctx, 'rootfs/tmp')).mode & 0o7777,
          passwd: readFileSync(path.join(ctx, 'rootfs/etc/passwd'), 'utf8'),
        };
        return Promise.resolve(ok('sha256:new'));
      }
      if (args[0] === 'run') return Promise.resolve(ok(opts.version ?? 'nph-agent 0.1.0'));
      return Promise.resolve({ stdout: '', stderr: `unexpected ${args.join(' ')}`, exitCode: 1 });
    },
  };
  return { runner, seen };
}

describe('cluster/agent/image: ensureAgentImage', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'nph-agent-bin-'));
    mkdirSync(path.join(root, 'linux-amd64'));
    writeFileSync(path.join(root, 'linux-amd64', 'nph-agent'), 'fake amd64 agent');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('does nothing when the engine has the image', async () => {
    const { runner, seen } = fakeDocker({ has: true });
    expect(await ensureAgentImage('example/agent:1', { runner, docker: 'docker', binaryRoot: root })).to.equal('present');
    expect(seen.calls).to.deep.equal([['image', 'inspect', '--format', '{{.Id}}', 'example/agent:1']]);
  });

  it("builds it FROM scratch from the binary for the engine's architecture, then smoke-tests it", async () => {
    const { runner, seen } = fakeDocker({ has: false });
    expect(await ensureAgentImage('example/agent:1', { runner, docker: 'docker', binaryRoot: root, version: '0.1.0' })).to.equal('built');
    expect(seen.calls.map((c) => c[0])).to.deep.equal(['image', 'version', 'build', 'run']);
    expect(seen.calls[2]!.slice(0, 4)).to.deep.equal(['build', '--quiet', '--tag', 'example/agent:1']);
    expect(seen.calls[3]).to.deep.equal(['run', '--rm', 'example/agent:1', 'version']);
    const ctx = seen.context!;
    expect(ctx.dockerfile.split('\n')[0]).to.equal('FROM scratch');
    expect(ctx.dockerfile).to.include('COPY nph-agent /bin/nph-agent').and.include('ENTRYPOINT ["/bin/nph-agent"]').and.include('CMD ["serve"]');
    expect(ctx.dockerfile).not.to.match(/^FROM (?!scratch)/m);
    expect(ctx.binary).to.equal('fake amd64 agent');
    expect(ctx.tmpMode).to.equal(0o1777);
    expect(ctx.passwd).to.match(/^root:x:0:0:/);
    // The temporary build context is gone afterwards.
    expect(existsSync(seen.calls[2]![4]!)).to.equal(false);
  });

  it('names the missing binary when none is shipped for the architecture', async () => {
    const { runner } = fakeDocker({ has: false, arch: 'arm64' });
    const err = await ensureAgentImage('example/agent:1', { runner, docker: 'docker', binaryRoot: root }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(InfraError);
    expect((err as InfraError).message).to.include('example/agent:1 is not in the local Docker engine').and.include('linux/arm64').and.include(path.join(root, 'linux-arm64', 'nph-agent'));
    expect((err as InfraError).hint).to.include('build-agent-image.sh');
  });

  it('says so when the engine is unreachable (no build attempted)', async () => {
    const { runner, seen } = fakeDocker({ has: false, inspectErr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' });
    const err = await ensureAgentImage('example/agent:1', { runner, docker: 'docker', binaryRoot: root }).then(() => undefined, (e: unknown) => e);
    expect((err as InfraError).message).to.match(/Docker engine is not reachable/);
    expect(seen.calls).to.have.length(1);
  });

  it('rejects an image whose binary is not the agent', async () => {
    const { runner } = fakeDocker({ has: false, version: 'hello' });
    const err = await ensureAgentImage('example/agent:1', { runner, docker: 'docker', binaryRoot: root }).then(() => undefined, (e: unknown) => e);
    expect((err as InfraError).message).to.include("printed 'hello'");
  });

  it('the Dockerfile labels the version when known', () => {
    expect(agentDockerfile('0.1.0')).to.include('org.opencontainers.image.version=0.1.0');
    expect(agentDockerfile(undefined)).not.to.include('image.version');
  });
});
