// Image references as docker normalises them (distribution/reference's ParseNormalizedNamed), local
// image ids told apart from references, and the platform picked from an index. Pure.
import { InvalidReferenceError, isLocalImageId, isRegistryReference, manifestReference, parseReference, referenceString } from '../../src/registry/reference.js';
import { offeredPlatforms, parsePlatform, pickPlatform, platformMatches, runnerPlatform } from '../../src/registry/platform.js';
import type { Descriptor } from '../../src/image/oci.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseReference: docker normalisation', () => {
  test.each([
    ['alpine', 'docker.io', 'registry-1.docker.io', 'library/alpine', 'latest', undefined],
    ['alpine:3.20', 'docker.io', 'registry-1.docker.io', 'library/alpine', '3.20', undefined],
    ['docker.io/alpine', 'docker.io', 'registry-1.docker.io', 'library/alpine', 'latest', undefined],
    ['index.docker.io/library/alpine', 'docker.io', 'registry-1.docker.io', 'library/alpine', 'latest', undefined],
    ['acme/app', 'docker.io', 'registry-1.docker.io', 'acme/app', 'latest', undefined],
    ['ghcr.io/acme/app:main', 'ghcr.io', 'ghcr.io', 'acme/app', 'main', undefined],
    ['ghcr.io/acme/team/app:v1.2.3-rc_1', 'ghcr.io', 'ghcr.io', 'acme/team/app', 'v1.2.3-rc_1', undefined],
    [`127.0.0.1:5000/app@${DIGEST}`, '127.0.0.1:5000', '127.0.0.1:5000', 'app', undefined, DIGEST],
    [`h.io/app:tag@${DIGEST}`, 'h.io', 'h.io', 'app', 'tag', DIGEST],
    ['host/app', 'docker.io', 'registry-1.docker.io', 'host/app', 'latest', undefined],
    ['localhost/app', 'localhost', 'localhost', 'app', 'latest', undefined],
    ['localhost:5000/a/b', 'localhost:5000', 'localhost:5000', 'a/b', 'latest', undefined],
    ['[::1]:5000/app:x', '[::1]:5000', '[::1]:5000', 'app', 'x', undefined],
    // An upper-case first component is a host (docker reads it so), the path stays lower case.
    ['Example/app', 'Example', 'Example', 'app', 'latest', undefined],
    // A host without a dot or port is a Docker Hub namespace.
    ['myhost/app', 'docker.io', 'registry-1.docker.io', 'myhost/app', 'latest', undefined],
    ['a__b/c-d--e.f_g', 'docker.io', 'registry-1.docker.io', 'a__b/c-d--e.f_g', 'latest', undefined],
    ['app:UPPER_tag', 'docker.io', 'registry-1.docker.io', 'library/app', 'UPPER_tag', undefined],
    // `host:5000` alone is a Docker Hub name with a tag, as docker reads it.
    ['host:5000', 'docker.io', 'registry-1.docker.io', 'library/host', '5000', undefined]
  ])('%s', (value, domain, registry, repository, tag, digest) => {
    const ref = parseReference(value);
    expect(ref).toEqual({ domain, registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) });
  });

  test('the full name and what is fetched', () => {
    expect(referenceString(parseReference('alpine'))).toBe('docker.io/library/alpine:latest');
    expect(referenceString(parseReference(`h.io/app:t@${DIGEST}`))).toBe(`h.io/app:t@${DIGEST}`);
    expect(manifestReference(parseReference(`h.io/app:t@${DIGEST}`))).toBe(DIGEST);
    expect(manifestReference(parseReference('h.io/app'))).toBe('latest');
  });

  test.each([
    ['', 'it is empty'],
    ['App', 'the repository path must be lower case'],
    ['ghcr.io/Acme/app', 'the repository path must be lower case'],
    ['a'.repeat(64).replace(/a/g, 'f'), 'a 64-digit hexadecimal string is an image id, not a name'],
    ['app:-bad', 'a tag is 1 to 128 letters'],
    [`app:${'t'.repeat(129)}`, 'a tag is 1 to 128 letters'],
    ['app@sha256:abc', 'a digest is sha256: and 64 lower-case hexadecimal digits'],
    [`app@md5:${'a'.repeat(32)}`, 'a digest is sha256:'],
    ['app/', 'the repository path is lower-case letters'],
    ['a/b..c', 'the repository path is lower-case letters'],
    ['a..b/c', 'is not a registry host'],
    ['-h.io/app', 'is not a registry host[:port]'],
    ['h.io:port/app', 'is not a registry host[:port]'],
    ['app name', 'white space or control characters'],
    ['app\nname', 'white space or control characters'],
    [`h.io/${'a'.repeat(260)}`, 'longer than 255 characters']
  ])('%j is refused: %s', (value, why) => {
    expect(() => parseReference(value)).toThrow(InvalidReferenceError);
    expect(() => parseReference(value)).toThrow(why);
    expect(() => parseReference(value)).toThrow(`${JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value)} is not an image reference: `);
    expect(() => parseReference(value)).toThrow('e.g. alpine, ghcr.io/acme/app:main or 127.0.0.1:5000/app@sha256:<64 hex>');
  });
});

describe('local image ids are not registry references', () => {
  test.each([
    [`sha256:${'0a'.repeat(32)}`, true],
    ['0a1b2c3d4e5f', true],
    ['0a'.repeat(32), true],
    ['0a1b2c3d4e5', false],
    ['alpine', false],
    ['deadbeefcafe1', true]
  ])('%s: %s', (value, local) => {
    expect(isLocalImageId(value)).toBe(local);
    expect(isRegistryReference(value)).toBe(!local);
  });

  test('a malformed value is neither', () => {
    expect(isRegistryReference('Not A Reference')).toBe(false);
    expect(isLocalImageId('Not A Reference')).toBe(false);
  });
});

describe('platforms', () => {
  const desc = (os: string, architecture: string, variant?: string): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${`${os}${architecture}${variant ?? ''}`.padEnd(64, '0').replace(/[^a-f0-9]/g, '0')}`,
    size: 1,
    annotations: {},
    platform: { os, architecture, ...(variant ? { variant } : {}) }
  });
  const index = [desc('linux', 'amd64'), desc('linux', 'arm', 'v6'), desc('linux', 'arm', 'v7'), desc('linux', 'arm64', 'v8'), desc('windows', 'amd64')];

  test('the runner\'s platform in Go\'s names', () => {
    expect(runnerPlatform('x64')).toBe('linux/amd64');
    expect(runnerPlatform('arm64')).toBe('linux/arm64');
  });

  test('picked by os, architecture and variant; the default variant when none is asked for', () => {
    expect(pickPlatform(index, 'linux/amd64')).toBe(index[0]);
    expect(pickPlatform(index, 'linux/arm')).toBe(index[2]);
    expect(pickPlatform(index, 'linux/arm/v6')).toBe(index[1]);
    expect(pickPlatform(index, 'linux/arm64')).toBe(index[3]);
    expect(pickPlatform(index, 'linux/arm64/v8')).toBe(index[3]);
    expect(pickPlatform(index, 'linux/aarch64')).toBe(index[3]);
    expect(pickPlatform(index, 'windows/amd64')).toBe(index[4]);
    expect(pickPlatform(index, 'linux/s390x')).toBeUndefined();
    expect(offeredPlatforms(index)).toEqual(['linux/amd64', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm64/v8', 'windows/amd64']);
  });

  test('an image\'s platform against the one asked for', () => {
    expect(platformMatches('linux/arm64', 'linux/arm64/v8')).toBe(true);
    expect(platformMatches('linux/arm/v6', 'linux/arm')).toBe(true);
    expect(platformMatches('linux/arm/v6', 'linux/arm/v7')).toBe(false);
    expect(platformMatches('linux/amd64', 'linux/arm64')).toBe(false);
  });

  test('a malformed platform names the value and the form', () => {
    expect(() => parsePlatform('amd64')).toThrow('"amd64" is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8');
    expect(() => parsePlatform('linux/amd64/v2/x')).toThrow('is not a platform');
  });
});
