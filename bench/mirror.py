#!/usr/bin/env python3
"""Benchmark: `img-mirror mirror` against skopeo (and ocync, given `--ocync PATH`) on
loopback registries, every byte and request of every tool counted.

Setup: Debian's docker-registry instances on 127.0.0.1 (one upstream, a fresh mirror per
tool and run), each behind a RecordingProxy of this script. The proxy terminates TLS with
a certificate from a CA the script makes with `openssl` (ocync reaches registries over
https only, so every tool gets https), forwards plain HTTP to the registry, optionally
holds every chunk --latency-ms in each direction, and reads the HTTP/1.1 streams it
forwards: requests, answers by status (429s), and the bytes each way. The requests it
counts are checked against the registries' own access logs.

Corpus: 20 images (1 to 43 MB, a shared 8 MB base layer, every fourth one amd64+arm64).
Per tool, on loopback and at --latency-ms each way (default 30):
  cold    the 20 images into an empty mirror (ocync: its cache_dir deleted first);
  no-op   the same 20 again, everything already there.
Each row: wall time, requests to the upstream and to the mirror, bytes read from the
upstream, bytes written to the mirror, 429 answers, and the tool's peak RSS
(`/usr/bin/time -f %M`; for the loop of one skopeo process per image, the largest).
Extra runs: --many (no-op over 200 images) and, unless --skip-large, one image with a
512 MiB layer (peak RSS, loopback).

Usage: bench/mirror.py [--ocync PATH] [--latency-ms N] [--skip-large] [--many]
                       [--tools img-mirror,skopeo-copy,skopeo-sync,ocync] [--no-build]
                       [--breakdown]
Needs docker-registry, skopeo, openssl and /usr/bin/time (tests/run.sh installs them);
ocync is built from its source by bench/build-ocync.sh. Everything runs on 127.0.0.1;
nothing is pulled from the internet. TLS: img-mirror and ocync trust the benchmark's CA
through SSL_CERT_FILE (both read it with rustls-platform-verifier), skopeo through
--src-cert-dir/--dest-cert-dir (and `cert-dir` in its sync YAML).
"""
import argparse, asyncio, collections, gzip, hashlib, http.client, io, json, os, random, re, shutil, socket, ssl, \
    subprocess, sys, tarfile, tempfile, threading, time, urllib.parse, zlib

ACCESS_LOG_REQUEST = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) /v2/')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "img-mirror")
MIRROR_PREFIX = "cki/mirror"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join([OCI_MANIFEST, OCI_INDEX, "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json"])


# ---------------------------------------------------------------------------------------
# Certificates and registries


def make_certificates(work):
    """A CA of the benchmark's own and a server certificate for IP 127.0.0.1 signed by it.
    Returns (CA file, certificate, key, cert dir for skopeo holding ca.crt)."""
    directory = os.path.join(work, "tls")
    os.makedirs(directory)
    ca_key, ca, key, csr, cert = (os.path.join(directory, n) for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", ca_key, "-out", ca, "-subj", "/CN=img-mirror bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    extensions = os.path.join(directory, "server.ext")
    with open(extensions, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", extensions, "-out", cert)
    cert_dir = os.path.join(directory, "certs.d")
    os.makedirs(cert_dir)
    shutil.copy(ca, os.path.join(cert_dir, "ca.crt"))
    return ca, cert, key, cert_dir


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """docker-registry on 127.0.0.1, plain HTTP, access log on."""

    def __init__(self, workdir, name, host=None):
        self.name = name
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.port = free_port()
        config = os.path.join(self.dir, "config.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nlog: {{level: error, accesslog: {{disabled: false}}}}\n"
                    f"storage:\n  filesystem: {{rootdirectory: {self.dir}/data}}\n  delete: {{enabled: true}}\n"
                    f"http: {{addr: 127.0.0.1:{self.port}, secret: bench{f', host: {host!r}' if host else ''}}}\n")
        self.log_path = os.path.join(self.dir, "access.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(["docker-registry", "serve", config], stdout=self.log, stderr=self.log)
        for _ in range(250):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise SystemExit(f"registry {name} did not start")

    def requests(self):
        """Requests in the access log so far."""
        with open(self.log_path) as f:
            return sum(1 for line in f if ACCESS_LOG_REQUEST.search(line))

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.log.close()


class Plain:
    """A small HTTP client straight to a registry's plain port, never through a proxy:
    it seeds the upstream and checks what a tool left in its mirror."""

    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120, blocksize=1 << 20)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
        finally:
            connection.close()

    def has_blob(self, repo, digest):
        return self.request("HEAD", f"/v2/{repo}/blobs/{digest}")[0] == 200

    def push_blob(self, repo, digest, data):
        """data: bytes, or a path to a file."""
        if self.has_blob(repo, digest):
            return
        status, headers, body = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        assert status == 202, (status, body)
        location = urllib.parse.urlsplit(headers["location"])
        target = f"{location.path}?{location.query + '&' if location.query else ''}digest={digest}"
        if isinstance(data, str):
            with open(data, "rb") as f:
                status, _, body = self.request("PUT", target, body=f, headers={
                    "Content-Length": str(os.path.getsize(data)), "Content-Type": "application/octet-stream"})
        else:
            status, _, body = self.request("PUT", target, body=data, headers={"Content-Type": "application/octet-stream"})
        assert status == 201, (status, body)

    def push_manifest(self, repo, reference, body, media_type):
        status, _, answer = self.request("PUT", f"/v2/{repo}/manifests/{reference}", body=body, headers={"Content-Type": media_type})
        assert status == 201, (status, answer)

    def manifest(self, repo, reference):
        status, headers, body = self.request("GET", f"/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT})
        return (body, headers.get("content-type")) if status == 200 else (None, None)


# ---------------------------------------------------------------------------------------
# The recording proxy


class ProxyLoop:
    """One asyncio event loop in a daemon thread, shared by every RecordingProxy."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run(self, coroutine, timeout=30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


class Counters:
    def __init__(self):
        self.connections = 0
        self.requests = 0
        self.bytes_up = 0      # client -> registry: request lines, headers and bodies
        self.bytes_down = 0    # registry -> client: status lines, headers and bodies
        self.statuses = collections.Counter()
        self.kinds = collections.Counter()  # "GET manifest 200", ...

    def copy(self):
        other = Counters()
        other.__dict__.update({k: (v.copy() if isinstance(v, collections.Counter) else v) for k, v in self.__dict__.items()})
        return other

    def __sub__(self, before):
        other = Counters()
        for key, value in self.__dict__.items():
            other.__dict__[key] = value - before.__dict__[key]
        return other


def request_kind(method, target):
    path = target.split("?", 1)[0]
    if path.rstrip("/") == "/v2":
        kind = "ping"
    elif "/blobs/uploads" in path:
        kind = "upload"
    elif "/manifests/" in path:
        kind = "manifest"
    elif "/blobs/" in path:
        kind = "blob"
    elif path.endswith("/tags/list"):
        kind = "tags"
    elif "/referrers/" in path:
        kind = "referrers"
    else:
        kind = "other"
    return f"{method} {kind}"


class MessageParser:
    """Reads one direction of an HTTP/1.1 connection, incrementally: where each message
    starts and ends (Content-Length, chunked, or until close), so that each request and
    each answer is counted once, however the bytes arrive."""
    HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, UNTIL_CLOSE, BROKEN = range(8)

    def __init__(self, exchange, is_request):
        self.exchange, self.is_request = exchange, is_request
        self.state, self.buffer, self.remaining = self.HEAD, b"", 0

    def feed(self, data):
        if self.buffer:
            data, self.buffer = self.buffer + data, b""
        position, size = 0, len(data)
        while position < size:
            state = self.state
            if state == self.BROKEN or state == self.UNTIL_CLOSE:
                return
            if state in (self.BODY, self.CHUNK_DATA, self.CHUNK_END):
                take = min(self.remaining, size - position)
                position += take
                self.remaining -= take
                if self.remaining == 0:
                    if state == self.CHUNK_DATA:
                        self.state, self.remaining = self.CHUNK_END, 2
                    elif state == self.CHUNK_END:
                        self.state = self.CHUNK_SIZE
                    else:
                        self.state = self.HEAD
                continue
            if state == self.HEAD:
                while position < size and data[position] in b"\r\n":
                    position += 1
                end = data.find(b"\r\n\r\n", position)
                if end < 0:
                    self.buffer = data[position:]
                    if len(self.buffer) > 1 << 20:
                        self.state, self.buffer = self.BROKEN, b""
                    return
                head, position = data[position:end], end + 4
                self._head(head)
                continue
            end = data.find(b"\r\n", position)   # CHUNK_SIZE and TRAILER read lines
            if end < 0:
                self.buffer = data[position:]
                return
            line, position = data[position:end], end + 2
            if state == self.TRAILER:
                if not line:
                    self.state = self.HEAD
                continue
            try:
                chunk = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.state = self.BROKEN
                return
            if chunk == 0:
                self.state = self.TRAILER
            else:
                self.state, self.remaining = self.CHUNK_DATA, chunk

    def _head(self, head):
        lines = head.split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        length = int(headers.get(b"content-length", b"0") or 0) if not chunked else 0
        if self.is_request:
            parts = lines[0].split(b" ")
            if len(parts) < 3:
                self.state = self.BROKEN
                return
            self.exchange.on_request(parts[0].decode(), parts[1].decode(errors="replace"))
            has_body = chunked or length > 0
        else:
            parts = lines[0].split(b" ", 2)
            try:
                status = int(parts[1])
            except (IndexError, ValueError):
                self.state = self.BROKEN
                return
            if 100 <= status < 200 and status != 101:
                self.state = self.HEAD   # 100 Continue: the real answer follows
                return
            method = self.exchange.on_response(status)
            if method == "HEAD" or status in (204, 304):
                has_body = False
            elif not chunked and b"content-length" not in headers:
                self.state = self.UNTIL_CLOSE
                return
            else:
                has_body = chunked or length > 0
        if not has_body:
            self.state = self.HEAD
        elif chunked:
            self.state = self.CHUNK_SIZE
        else:
            self.state, self.remaining = self.BODY, length


class Exchange:
    """The requests and answers of one proxied connection (answers come in request order)."""

    def __init__(self, counters):
        self.counters, self.pending = counters, collections.deque()
        self.requests = MessageParser(self, True)
        self.responses = MessageParser(self, False)

    def on_request(self, method, target):
        self.counters.requests += 1
        self.pending.append((method, request_kind(method, target)))

    def on_response(self, status):
        self.counters.statuses[status] += 1
        method, kind = self.pending.popleft() if self.pending else ("?", "? unpaired")
        self.counters.kinds[f"{kind} {status}"] += 1
        return method


class RecordingProxy:
    """TLS in front of a plain-HTTP registry on 127.0.0.1. Every chunk is delivered
    `latency` seconds after it arrived (0: at once), in each direction, without limiting
    throughput: what a registry a few tens of milliseconds away looks like to a client.
    `latency` may be changed between runs."""

    QUEUED_CHUNKS = 64

    def __init__(self, loop, target, tls, latency=0.0, port=0):
        self.loop, self.target, self.latency = loop, target, latency
        self.counters, self.active, self.tasks = Counters(), 0, set()
        self.server = loop.run(asyncio.start_server(self._handle, "127.0.0.1", port, ssl=tls, limit=1 << 20, backlog=512,
                                                    reuse_address=True))
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def authority(self):
        return f"127.0.0.1:{self.port}"

    def snapshot(self):
        async def take():
            return self.counters.copy()
        return self.loop.run(take())

    def settle(self, timeout=5.0):
        """Waits until every connection of the last run has closed."""
        deadline = time.monotonic() + timeout
        while self.active and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.active:
            print(f"warning: {self.active} connections still open on {self.authority}", file=sys.stderr)
            for task in list(self.tasks)[:3]:
                task.print_stack(file=sys.stderr)

    def stop(self):
        async def close():
            self.server.close()
        self.loop.run(close())

    async def _handle(self, client_reader, client_writer):
        self.counters.connections += 1
        self.active += 1
        task = asyncio.current_task()
        self.tasks.add(task)   # a task only the loop knows of can be collected while it waits
        try:
            try:
                server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target.port, limit=1 << 20)
            except OSError:
                client_writer.close()
                return
            exchange = Exchange(self.counters)
            writers = (client_writer, server_writer)
            await asyncio.gather(self._pump(client_reader, server_writer, exchange.requests, "bytes_up", writers),
                                 self._pump(server_reader, client_writer, exchange.responses, "bytes_down", writers))
            for writer in writers:
                writer.close()
        finally:
            self.active -= 1
            self.tasks.discard(task)

    async def _pump(self, reader, writer, parser, counter, writers):
        queue = asyncio.Queue(self.QUEUED_CHUNKS)
        delivery = asyncio.get_running_loop().create_task(self._deliver(queue, writer, writers))
        self.tasks.add(delivery)
        delivery.add_done_callback(self.tasks.discard)
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    data = await reader.read(1 << 20)
                except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                    data = b""
                if data:
                    setattr(self.counters, counter, getattr(self.counters, counter) + len(data))
                    parser.feed(data)
                await queue.put((loop.time() + self.latency, data))
                if not data or delivery.done():
                    break
        finally:
            await delivery

    async def _deliver(self, queue, writer, writers):
        loop = asyncio.get_running_loop()
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    else:
                        writer.close()   # TLS cannot half-close
                    return
                writer.write(data)
                await writer.drain()
            except (OSError, ssl.SSLError, RuntimeError):
                for other in writers:
                    other.transport.abort()
                while not queue.empty():   # let the reader finish
                    queue.get_nowait()
                return


class Endpoint:
    """A registry and the RecordingProxy that tools reach it through."""

    def __init__(self, loop, work, name, tls, latency):
        # The registry names itself by the proxy's https address in the upload URLs it
        # hands out (Location), as a registry serving TLS itself would.
        port = free_port()
        self.registry = Registry(work, name, host=f"https://127.0.0.1:{port}")
        self.proxy = RecordingProxy(loop, self.registry, tls, latency, port)
        self.plain = Plain(self.registry.port)

    @property
    def authority(self):
        return self.proxy.authority

    def mark(self):
        self.proxy.settle()
        return self.proxy.snapshot(), self.registry.requests()

    def since(self, mark):
        counters, logged = mark
        self.proxy.settle()
        delta = self.proxy.snapshot() - counters
        delta.logged = self.registry.requests() - logged
        return delta

    def stop(self):
        self.proxy.stop()
        self.registry.stop()


# ---------------------------------------------------------------------------------------
# Images


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_bytes(seed, size):
    """A tar holding `size` random bytes, gzip'd at level 1 (random data does not shrink).
    Returns (gzip bytes, diff_id)."""
    content = random.Random(seed).randbytes(size)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(f"file-{seed}")
        info.size = size
        tar.addfile(info, io.BytesIO(content))
    raw = buffer.getvalue()
    return gzip.compress(raw, compresslevel=1, mtime=0), sha(raw)


def layer_file(directory, size):
    """A big layer written straight to a file (gzip with stored blocks), never held in
    memory. Returns (path, digest, size, diff_id)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "large-layer")
    rng = random.Random(7)
    tar_hash, gz_hash = hashlib.sha256(), hashlib.sha256()
    compressor = zlib.compressobj(0, zlib.DEFLATED, 31)
    header = tarfile.TarInfo("big")
    header.size = size
    with open(path, "wb") as out:
        def emit(data):
            tar_hash.update(data)
            packed = compressor.compress(data)
            gz_hash.update(packed)
            out.write(packed)
        emit(header.tobuf())
        remaining = size
        while remaining:
            chunk = rng.randbytes(min(remaining, 8 * 1024 * 1024))
            emit(chunk)
            remaining -= len(chunk)
        emit(b"\0" * (1024 + (-size % 512)))
        tail = compressor.flush()
        gz_hash.update(tail)
        out.write(tail)
    return path, "sha256:" + gz_hash.hexdigest(), os.path.getsize(path), "sha256:" + tar_hash.hexdigest()


class Image:
    """One tag: its blobs (digest -> bytes or file path), manifests (children first) and
    top digest. platforms: [(architecture, [(blob, digest, size, diff_id), ...])]."""

    def __init__(self, name, repo, tag, platforms):
        self.name, self.repo, self.tag = name, repo, tag
        self.blobs, self.manifests = {}, []
        descriptors = []
        for arch, layers in platforms:
            config = json.dumps({"architecture": arch, "os": "linux", "config": {},
                                 "rootfs": {"type": "layers", "diff_ids": [d for *_, d in layers]}}).encode()
            self.blobs[sha(config)] = config
            for blob, digest, _, _ in layers:
                self.blobs[digest] = blob
            manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                              "digest": sha(config), "size": len(config)},
                                   "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size}
                                              for _, digest, size, _ in layers]}).encode()
            self.manifests.append((manifest, OCI_MANIFEST))
            descriptors.append({"mediaType": OCI_MANIFEST, "digest": sha(manifest), "size": len(manifest),
                                "platform": {"architecture": arch, "os": "linux"}})
        if len(descriptors) > 1:
            index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}).encode()
            self.manifests.append((index, OCI_INDEX))
        self.digest = sha(self.manifests[-1][0])
        self.sizes = {d: (os.path.getsize(b) if isinstance(b, str) else len(b)) for d, b in self.blobs.items()}

    def push(self, plain):
        for digest, blob in self.blobs.items():
            plain.push_blob(self.repo, digest, blob)
        for body, media_type in self.manifests[:-1]:
            plain.push_manifest(self.repo, sha(body), body, media_type)
        body, media_type = self.manifests[-1]
        plain.push_manifest(self.repo, self.tag, body, media_type)

    def drop_bytes(self):
        """Keeps digests and sizes only (the corpus is 460 MB)."""
        self.blobs = None

    def check(self, plain, repo):
        """None if `repo` in that registry holds this tag, by the same digest, with every
        manifest and blob; else what is missing."""
        body, _ = plain.manifest(repo, self.tag)
        if body is None:
            return f"{repo}:{self.tag} missing"
        if sha(body) != self.digest:
            return f"{repo}:{self.tag} is {sha(body)}, not {self.digest}"
        for manifest, _ in self.manifests[:-1]:
            if plain.manifest(repo, sha(manifest))[0] is None:
                return f"{repo}@{sha(manifest)} missing"
        for digest in self.sizes:
            if not plain.has_blob(repo, digest):
                return f"{repo}: blob {digest} missing"
        return None


def corpus(upstream):
    """The 20-image cold set: 1 to 43 MB each on a shared 8 MB base, every fourth one
    amd64+arm64. Pushed straight to the upstream registry (not counted)."""
    base_blob, base_diff = layer_bytes(0, 8 * 1024 * 1024)
    base = (base_blob, sha(base_blob), len(base_blob), base_diff)
    images = []
    for i in range(20):
        size = 1024 * 1024 + (i * 47 % 43) * 1024 * 1024
        own, diff = layer_bytes(100 + i, size)
        platforms = [("amd64", [base, (own, sha(own), len(own), diff)])]
        if i % 4 == 0:
            arm, diff = layer_bytes(200 + i, size // 2 + 1)
            platforms.append(("arm64", [base, (arm, sha(arm), len(arm), diff)]))
        image = Image(f"app_{i:02d}", f"bench/app-{i:02d}", "1.0", platforms)
        image.push(upstream.plain)
        image.drop_bytes()
        images.append(image)
    return images


def small_images(upstream, count):
    images = []
    for i in range(count):
        blob, diff = layer_bytes(1000 + i, 4096)
        image = Image(f"small_{i:03d}", f"bench/small-{i:03d}", "1.0", [("amd64", [(blob, sha(blob), len(blob), diff)])])
        image.push(upstream.plain)
        image.drop_bytes()
        images.append(image)
    return images


# ---------------------------------------------------------------------------------------
# Tools


class ToolFailed(Exception):
    pass


def measured(commands, env, work):
    """Runs the commands one after another, each under /usr/bin/time. Returns (wall
    seconds, largest peak RSS in KiB, last stdout)."""
    rss_file = os.path.join(work, "rss.txt")
    peak, stdout = 0, ""
    start = time.perf_counter()
    for command in commands:
        result = subprocess.run(["/usr/bin/time", "-o", rss_file, "-f", "%M", *command],
                                capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise ToolFailed(f"$ {' '.join(command)}\nexit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}")
        with open(rss_file) as f:
            peak = max(peak, int(f.read().strip().splitlines()[-1]))
        stdout = result.stdout
        with open(os.path.join(work, "last-stdout.txt"), "w") as f:
            f.write(stdout)
    return time.perf_counter() - start, peak, stdout


class Tool:
    label = ""
    noop_extra = ()   # extra no-op variants: (label, method name)

    def __init__(self, tls, work):
        self.tls, self.work = tls, work
        self.env = dict(os.environ, SSL_CERT_FILE=tls["ca"], NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")

    def dest_repo(self, image):
        return f"{MIRROR_PREFIX}/{image.repo}"

    def fill(self, images, upstream, mirror, run):
        """Copies what is missing, unmeasured and unchecked."""
        return self.cold(images, upstream, mirror, run)


class ImgMirror(Tool):
    key, label = "img-mirror", "img-mirror mirror"

    def _run(self, images, upstream, mirror, expect, run_dir):
        repo = os.path.join(self.work, run_dir)
        os.makedirs(repo, exist_ok=True)
        with open(os.path.join(repo, "vars.yml"), "w") as f:
            f.write("MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n")
            for image in images:
                f.write(f"  {image.name}: quay.io/{MIRROR_PREFIX}/{image.repo}:{image.tag}@{image.digest}\n")
        command = [BIN, "mirror", "--repo", repo, "--format", "json",
                   f"--registry=docker.io=https://{upstream.authority}", f"--registry=quay.io=https://{mirror.authority}"]
        wall, rss, stdout = measured([command], self.env, self.work)
        summary = json.loads(stdout.strip().splitlines()[-1])
        if sum(summary.get(key, 0) for key in expect.split("+")) != len(images):
            raise ToolFailed(f"img-mirror summary: {summary} (expected {expect} = {len(images)})")
        return wall, rss

    def cold(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, "copied", run)

    def noop(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, "present", run)

    def fill(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, "copied+present", run)


class SkopeoCopy(Tool):
    key, label = "skopeo-copy", "skopeo copy --all, one per image"

    def _run(self, images, upstream, mirror):
        cert = self.tls["cert_dir"]
        return measured([["skopeo", "copy", "--quiet", "--all", "--src-cert-dir", cert, "--dest-cert-dir", cert,
                          f"docker://{upstream.authority}/{image.repo}:{image.tag}",
                          f"docker://{mirror.authority}/{self.dest_repo(image)}:{image.tag}"] for image in images],
                        self.env, self.work)[:2]

    def cold(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror)

    noop = cold


class SkopeoSync(Tool):
    key, label = "skopeo-sync", "skopeo sync --all"

    def dest_repo(self, image):
        return f"{MIRROR_PREFIX}/{image.repo.rsplit('/', 1)[-1]}"   # sync without --scoped keeps the last component

    def _run(self, images, upstream, mirror, run):
        config = os.path.join(self.work, f"{run}.yml")
        with open(config, "w") as f:
            f.write(f"{upstream.authority}:\n  tls-verify: true\n  cert-dir: {self.tls['cert_dir']}\n  images:\n")
            for image in images:
                f.write(f"    {image.repo}: [\"{image.tag}\"]\n")
        return measured([["skopeo", "sync", "--all", "--src", "yaml", "--dest", "docker", "--dest-cert-dir", self.tls["cert_dir"],
                          config, f"{mirror.authority}/{MIRROR_PREFIX}"]], self.env, self.work)[:2]

    def cold(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, run)

    noop = cold


class Ocync(Tool):
    key, label = "ocync", "ocync sync"
    noop_extra = (("ocync sync, cache_dir deleted", "noop_uncached"),)

    def __init__(self, tls, work, path):
        super().__init__(tls, work)
        self.path = path

    def _run(self, images, upstream, mirror, run, fresh_cache, expect):
        cache = os.path.join(self.work, f"{run}-cache")
        if fresh_cache:
            shutil.rmtree(cache, ignore_errors=True)
        config = os.path.join(self.work, f"{run}.yml")
        with open(config, "w") as f:
            f.write(f"global:\n  cache_dir: {cache}\n"
                    f"registries:\n"
                    f"  upstream: {{url: \"{upstream.authority}\", auth_type: static_token, token: \"\"}}\n"
                    f"  mirror: {{url: \"{mirror.authority}\", auth_type: static_token, token: \"\"}}\n"
                    f"defaults:\n  source: upstream\n  targets: [mirror]\n"
                    f"mappings:\n")
            for image in images:
                # A literal glob on the mapping (no defaults.tags): ocync takes the tag as
                # given and lists no tags.
                f.write(f"  - from: {image.repo}\n    to: {self.dest_repo(image)}\n    tags: {{glob: \"{image.tag}\"}}\n")
        wall, rss, stdout = measured([[self.path, "sync", "-c", config, "--json"]], self.env, self.work)
        try:
            # ocync logs to stdout too; the report is the JSON object from a line "{" on.
            stats = json.loads(stdout[stdout.index("\n{\n") + 1 if not stdout.startswith("{") else 0:])["stats"]
        except (ValueError, KeyError) as error:
            raise ToolFailed(f"ocync --json output unreadable ({error}): {stdout[-2000:]}")
        if sum(stats.get(key, 0) for key in expect.split("+")) != len(images) or stats.get("images_failed"):
            raise ToolFailed(f"ocync stats: {stats} (expected {expect} = {len(images)})")
        return wall, rss

    def cold(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, run, True, "images_synced")

    def noop(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, run, False, "images_skipped")

    def noop_uncached(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, run, True, "images_skipped")

    def fill(self, images, upstream, mirror, run):
        return self._run(images, upstream, mirror, run, False, "images_synced+images_skipped")


# ---------------------------------------------------------------------------------------
# Runs


class Row:
    def __init__(self, scenario, setting, label, wall=None, rss=None, up=None, mirror=None, failure=None):
        self.scenario, self.setting, self.label = scenario, setting, label
        self.wall, self.rss, self.up, self.mirror, self.failure = wall, rss, up, mirror, failure


def measure(tool, method, label, scenario, setting, images, upstream, mirror, run, rows, check=True):
    marks = (upstream.mark(), mirror.mark())
    try:
        wall, rss = getattr(tool, method)(images, upstream, mirror, run)
    except ToolFailed as failure:
        rows.append(Row(scenario, setting, label, failure=str(failure)))
        print(f"  {label}: FAILED", file=sys.stderr)
        return False
    up, down = upstream.since(marks[0]), mirror.since(marks[1])
    row = Row(scenario, setting, label, wall, rss, up, down)
    if check:
        problems = [p for p in (image.check(mirror.plain, tool.dest_repo(image)) for image in images) if p]
        if problems:
            row.failure = "mirror incomplete after the run: " + "; ".join(problems[:5])
    rows.append(row)
    print(f"  {label}: {wall:.2f} s", file=sys.stderr)
    return row.failure is None


def run_setting(loop, work, tls_context, tools, upstream, images, setting, latency, rows, many):
    upstream.proxy.latency = latency
    for tool in tools:
        run = f"{tool.key}-{setting.split()[0]}"
        mirror = Endpoint(loop, work, f"mirror-{run}", tls_context, latency)
        try:
            print(f"[{setting}] {tool.label}", file=sys.stderr)
            if measure(tool, "cold", tool.label, "cold", setting, images, upstream, mirror, run, rows):
                measure(tool, "noop", tool.label, "noop", setting, images, upstream, mirror, run, rows)
                for label, method in tool.noop_extra:
                    measure(tool, method, label, "noop", setting, images, upstream, mirror, run, rows)
            if many and tool.key != "skopeo-copy":
                # The 200-image no-op: the 180 extra images are copied unmeasured and
                # without delay, then the whole set is run again with the delay.
                upstream.proxy.latency = mirror.proxy.latency = 0
                try:
                    tool.fill(many, upstream, mirror, run)
                except ToolFailed as failure:
                    rows.append(Row("many", setting, tool.label, failure=f"setup copy of 200 images: {failure}"))
                    continue
                finally:
                    upstream.proxy.latency = mirror.proxy.latency = latency
                measure(tool, "noop", tool.label, "many", setting, many, upstream, mirror, run, rows, check=False)
        finally:
            mirror.stop()


def run_large(loop, work, tls_context, tools, upstream, rows):
    print("building the 512 MiB image (not timed) ...", file=sys.stderr)
    path, digest, size, diff = layer_file(os.path.join(work, "large"), 512 * 1024 * 1024)
    image = Image("large", "bench/large", "1.0", [("amd64", [(path, digest, size, diff)])])
    image.push(upstream.plain)
    upstream.proxy.latency = 0
    for tool in tools:
        if tool.key == "skopeo-sync":
            continue
        run = f"{tool.key}-large"
        mirror = Endpoint(loop, work, f"mirror-{run}", tls_context, 0)
        try:
            print(f"[large] {tool.label}", file=sys.stderr)
            measure(tool, "cold", tool.label, "large", "loopback", [image], upstream, mirror, run, rows)
        finally:
            mirror.stop()
    return size


def build_img_mirror():
    for attempt in range(10):
        result = subprocess.run(["nice", "-n", "10", "cargo", "build", "--release", "--quiet"], cwd=ROOT,
                                capture_output=True, text=True)
        if result.returncode == 0:
            return
        print(f"cargo build failed (attempt {attempt + 1}), retrying in 30 s:\n{result.stderr[-2000:]}", file=sys.stderr)
        time.sleep(30)
    raise SystemExit("img-mirror does not build")


def fmt_mb(value):
    return f"{value / 1e6:10.1f}"


def print_table(rows, scenario, title, breakdown):
    selected = [r for r in rows if r.scenario == scenario]
    if not selected:
        return
    print(f"\n{title}")
    print(f"  {'':38}{'wall':>8} {'requests':>16} {'MB read':>10} {'MB written':>11} {'429s':>6} {'peak RSS':>9}")
    print(f"  {'':38}{'s':>8} {'upstream':>8} {'mirror':>7} {'upstream':>10} {'mirror':>11} {'':>6} {'MiB':>9}")
    setting = None
    for row in selected:
        if row.setting != setting:
            setting = row.setting
            print(f"  [{setting}]")
        if row.wall is None:
            print(f"  {row.label:38}   FAILED (below)")
            continue
        too_many = row.up.statuses[429] + row.mirror.statuses[429]
        mark = "  FAILED (below)" if row.failure else ""
        print(f"  {row.label:38}{row.wall:8.2f} {row.up.requests:8} {row.mirror.requests:7} {fmt_mb(row.up.bytes_down)} "
              f"{fmt_mb(row.mirror.bytes_up):>11} {too_many:6} {row.rss / 1024:9.1f}{mark}")
        if breakdown:
            for name, counters in (("upstream", row.up), ("mirror", row.mirror)):
                kinds = ", ".join(f"{k} x{n}" for k, n in sorted(counters.kinds.items()))
                print(f"  {'':6}{name}: {counters.connections} connections; {kinds}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ocync", metavar="PATH", help="an ocync binary to benchmark too")
    parser.add_argument("--latency-ms", type=float, default=30.0, help="one-way delay of the delayed runs (0: skip them)")
    parser.add_argument("--skip-large", action="store_true", help="skip the 512 MiB memory run")
    parser.add_argument("--many", action="store_true", help="also the no-op rerun over 200 images")
    parser.add_argument("--tools", default="img-mirror,skopeo-copy,skopeo-sync,ocync", help="comma-separated subset")
    parser.add_argument("--no-build", action="store_true", help="use target/release/img-mirror as it is")
    parser.add_argument("--breakdown", action="store_true", help="print each run's requests by kind and status")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (registries' data and logs, configs)")
    args = parser.parse_args()
    for needed in ("docker-registry", "skopeo", "openssl", "/usr/bin/time"):
        if not shutil.which(needed):
            raise SystemExit(f"{needed} is missing (tests/run.sh installs it)")
    if not args.no_build:
        build_img_mirror()
    build = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="img-mirror-bench-")
    loop = ProxyLoop()
    upstream = None
    try:
        ca, cert, key, cert_dir = make_certificates(work)
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(cert, key)
        tls_context.set_alpn_protocols(["http/1.1"])   # the proxy reads HTTP/1.1 only
        tls = {"ca": ca, "cert_dir": cert_dir}
        wanted = args.tools.split(",")
        tools = [t for t in (ImgMirror(tls, work), SkopeoCopy(tls, work), SkopeoSync(tls, work)) if t.key in wanted]
        if args.ocync and "ocync" in wanted:
            tools.append(Ocync(tls, work, os.path.abspath(args.ocync)))

        upstream = Endpoint(loop, work, "upstream", tls_context, 0)
        print("building and pushing images (not timed) ...", file=sys.stderr)
        images = corpus(upstream)
        many = None
        if args.many:
            print("pushing 180 more small images for the 200-image no-op (not timed) ...", file=sys.stderr)
            many = images + small_images(upstream, 180)

        rows = []
        settings = [("loopback", 0.0)]
        if args.latency_ms > 0:
            settings.append((f"{args.latency_ms:g} ms each way", args.latency_ms / 1000))
        for setting, latency in settings:
            run_setting(loop, work, tls_context, tools, upstream, images, setting, latency, rows, many)
        large = None if args.skip_large else run_large(loop, work, tls_context, tools, upstream, rows)

        blobs = {}
        manifests = 0
        for image in images:
            blobs.update(image.sizes)
            manifests += sum(len(body) for body, _ in image.manifests)
        skopeo = subprocess.run(["skopeo", "--version"], capture_output=True, text=True).stdout.strip()
        versions = [f"img-mirror {build} (release)", skopeo]
        if args.ocync and "ocync" in wanted:
            versions.append(subprocess.run([args.ocync, "version"], capture_output=True, text=True).stdout.strip().splitlines()[0]
                            if os.path.exists(args.ocync) else "ocync ?")
        print(f"\n{time.strftime('%Y-%m-%d')}, {', '.join(versions)}, {os.cpu_count()} cores; registries: docker-registry 2.8 "
              f"behind a TLS-terminating recording proxy (HTTP/1.1)")
        print("requests and 429s: HTTP requests and answers read from the proxied streams (docker-registry itself never "
              "answers 429); MB: HTTP bytes as forwarded (request/status lines, headers and bodies, after TLS; 1 MB = 10^6 bytes)")
        print(f"reference: the unique blobs of the 20 images (configs and layers) sum to {sum(blobs.values()) / 1e6:.1f} MB "
              f"({len(blobs)} blobs); their manifests {manifests / 1e3:.1f} kB")
        print_table(rows, "cold", "cold copy: 20 images, 5 of them amd64+arm64, shared 8 MB base layer, into an empty mirror", args.breakdown)
        print_table(rows, "noop", "no-op rerun: the same 20 images, already mirrored", args.breakdown)
        print_table(rows, "many", "no-op rerun over 200 images already mirrored", args.breakdown)
        if large:
            print_table(rows, "large", f"one image with a 512 MiB layer ({large / 1e6:.1f} MB blob)", args.breakdown)
        mismatched = [r for r in rows if r.wall is not None and (r.up.requests != r.up.logged or r.mirror.requests != r.mirror.logged)]
        for row in mismatched:
            print(f"note: {row.scenario} [{row.setting}] {row.label}: the proxy read {row.up.requests}/{row.mirror.requests} requests, "
                  f"the registries logged {row.up.logged}/{row.mirror.logged}")
        failures = [r for r in rows if r.failure]
        for row in failures:
            print(f"\nFAILED: {row.scenario} [{row.setting}] {row.label}\n{row.failure}")
    finally:
        if upstream:
            upstream.stop()
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
