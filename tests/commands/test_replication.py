"""Replication with Litestream: the restore drill (a machine lost while the newsroom writes),
point-in-time restores, the generated configuration read by Litestream itself, and the
checkpoints Masthead leaves to it.
"""

from __future__ import annotations

import contextlib
import getpass
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from archive import open_archive, slugify
from service import replication
from service.commands.cli import main
from service.settings import settings_from_mapping
from tests.support.api import WRITE_TOKEN
from tests.support.archives import settings_mapping
from tests.support.live import LiveServer, free_port, write_config
from tests.support.stories import SYNDICATED, make_story

# Stories the drill writes through the API while Litestream replicates.
DRILL_STORIES = 500
# The most recent writes a lost machine may cost with [replication] sync_seconds = 1, as the
# README states it: Litestream reads the log every second and uploads every second.
RECOVERY_POINT_SECONDS = 3
# How long Litestream may take to upload the archive's first full copy.
FIRST_COPY_TIMEOUT = 30


def masthead(config: Path, *args: str):
    """A command run here, as `masthead` would run it with MASTHEAD_CONFIG=config."""
    return CliRunner().invoke(main, list(args), env={"MASTHEAD_CONFIG": str(config)})


def start_replicating(config: Path, log: Path) -> subprocess.Popen:
    """`masthead replicate` (it becomes Litestream: the same process id)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "service", "replicate"],
            env={**os.environ, "MASTHEAD_CONFIG": str(config)},
            cwd=config.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for_first_copy(replica: Path, replicating: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + FIRST_COPY_TIMEOUT
    while not any(path.is_file() for path in replica.rglob("*.ltx")):
        assert replicating.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"no copy in the replica:\n{log.read_text()}"
        time.sleep(0.05)


def post_story(connection: http.client.HTTPConnection, n: int) -> int:
    body = json.dumps(
        {
            "title": f"Drill story {n}: учения تمرين 演習",
            "status": "published",
            "body": f"<p>Written {n}th of {DRILL_STORIES} while the archive is replicated.</p>",
            "published_at": "2026-12-01T09:00:00-05:00",
        }
    )
    connection.request(
        "POST",
        "/api/stories",
        body=body,
        headers={"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    answer = response.read()
    assert response.status == 201, answer
    return json.loads(answer)["id"]


def kill_hard(process: subprocess.Popen) -> None:
    """kill -9 a process and every process it started (the server's workers)."""
    for pid in [process.pid, *children(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def lose_the_archive(path: Path) -> None:
    """The machine's disk is gone: the archive, its log and Litestream's own record of it."""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)
    shutil.rmtree(replication.state_folder(path), ignore_errors=True)


def test_restore_drill_brings_back_every_story_acknowledged_before_the_recovery_point(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("MASTHEAD_API_WRITE_TOKENS", WRITE_TOKEN)
    replica = tmp_path / "replica"
    mapping = settings_mapping(tmp_path, replication={"url": str(replica)})
    archive_path = Path(mapping["archive"]["path"])
    server = LiveServer(tmp_path, mapping).start()
    replicating = start_replicating(server.config, tmp_path / "litestream.log")
    try:
        wait_for_first_copy(replica, replicating, tmp_path / "litestream.log")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        acknowledged: list[tuple[int, float]] = []
        for n in range(1, DRILL_STORIES + 1):
            story_id = post_story(connection, n)
            acknowledged.append((story_id, time.monotonic()))
        # The crash: Litestream and the server die at once, with no chance to finish anything.
        kill_hard(replicating)
        crashed_at = time.monotonic()
        kill_hard(server.process)
        connection.close()
    finally:
        for process in (replicating, server.process):
            if process.poll() is None:
                kill_hard(process)

    lose_the_archive(archive_path)
    done = masthead(server.config, "restore", "--from-replica")
    assert done.exit_code == 0, done.output
    assert "integrity_check: ok" in done.stdout

    with open_archive(archive_path, domain="news.example") as archive:
        restored = {story.id for story in archive.all_stories(include_unpublished=True)}
    ids = [story_id for story_id, _ in acknowledged]
    assert len(set(ids)) == DRILL_STORIES
    # What comes back is the archive as it was at one moment: every story up to some point,
    # none after it, nothing else.
    kept = len(restored)
    assert restored == set(ids[:kept])
    lost = acknowledged[kept:]
    window = crashed_at - lost[0][1] if lost else 0.0
    print(
        f"restore drill: {DRILL_STORIES} stories acknowledged, {kept} restored, "
        f"{len(lost)} lost; the oldest lost was acknowledged {window:.2f} s before the crash; "
        f"writes took {acknowledged[-1][1] - acknowledged[0][1]:.2f} s"
    )
    assert window <= RECOVERY_POINT_SECONDS
    assert f"stories: {kept}\n" in done.stdout


def test_restore_to_a_time_brings_back_the_archive_as_it_was_then(tmp_path):
    replica = tmp_path / "replica"
    mapping = settings_mapping(tmp_path, replication={"url": str(replica)})
    config = write_config(tmp_path / "config.toml", mapping)
    archive_path = Path(mapping["archive"]["path"])
    replicating = start_replicating(config, tmp_path / "litestream.log")
    try:
        wait_for_first_copy(replica, replicating, tmp_path / "litestream.log")
        before = uploaded(replica)
        with open_archive(archive_path, domain="news.example") as archive:
            first = archive.save(_story("Before the cut"), now=datetime.now(UTC))
        wait_for_upload(replica, before, replicating)
        # Litestream times each change to the millisecond.
        time.sleep(0.01)
        cut = datetime.now(UTC)
        time.sleep(0.01)
        before = uploaded(replica)
        with open_archive(archive_path, domain="news.example") as archive:
            archive.save(_story("After the cut"), now=datetime.now(UTC))
        wait_for_upload(replica, before, replicating)
    finally:
        replicating.send_signal(signal.SIGTERM)
        replicating.wait(timeout=30)

    then = masthead(
        config,
        "restore",
        "--from-replica",
        "--timestamp",
        cut.astimezone().isoformat(),
        "--output",
        str(tmp_path / "then.db"),
    )
    assert then.exit_code == 0, then.output
    assert "stories: 1\n" in then.stdout
    assert f"story {first.id} 'Before the cut'" in then.stdout
    now = masthead(config, "restore", "--from-replica", "--output", str(tmp_path / "now.db"))
    assert now.exit_code == 0, now.output
    assert "stories: 2\n" in now.stdout
    with open_archive(tmp_path / "then.db") as archive:
        assert [story.title for story in archive.all_stories()] == ["Before the cut"]


def _story(title: str):
    return make_story(SYNDICATED, title=title, slug=slugify(title))


def uploaded(replica: Path) -> set[str]:
    """The changes Litestream has uploaded so far (the level-0 LTX files, one per sync)."""
    return {path.name for path in (replica / "ltx" / "0").glob("*.ltx")}


def wait_for_upload(replica: Path, before: set[str], replicating: subprocess.Popen) -> None:
    """Until Litestream has uploaded a change it had not uploaded before."""
    deadline = time.monotonic() + FIRST_COPY_TIMEOUT
    while uploaded(replica) <= before:
        assert replicating.poll() is None
        assert time.monotonic() < deadline, "nothing uploaded"
        time.sleep(0.05)


def test_litestream_reads_the_generated_configuration(tmp_path):
    for url, expected in [
        (str(tmp_path / "replica"), (tmp_path / "replica").as_uri()),
        ("s3://news-archive/masthead?endpoint=minio.internal:9000", None),
        ("sftp://backup@replica.example:2222/srv/masthead", None),
    ]:
        settings = settings_from_mapping(settings_mapping(tmp_path, replication={"url": url}))
        config = yaml.safe_load(replication.litestream_config(settings))
        [db] = config["dbs"]
        assert db["path"] == str(settings.archive_path.resolve())
        assert db["replica"]["url"] == (expected or url)
        with replication.config_file(settings) as (fd, path):
            listed = subprocess.run(
                [str(replication.litestream_binary()), "databases", "-config", path],
                capture_output=True,
                text=True,
                pass_fds=(fd,),
                check=False,
            )
        assert listed.returncode == 0, listed.stderr
        assert str(settings.archive_path.resolve()) in listed.stdout


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("ftp://archive.example/news", "give a folder path or a URL"),
        ("s3:///no-bucket", "names no bucket or host"),
        ("sftp://replica.example/srv", "names no user"),
    ],
)
def test_a_replica_url_litestream_cannot_use_is_refused_at_start(tmp_path, url, named):
    from service.settings import SettingsError

    with pytest.raises(SettingsError, match=named):
        settings_from_mapping(settings_mapping(tmp_path, replication={"url": url}))


def test_with_replication_on_masthead_leaves_checkpoints_to_litestream(tmp_path):
    from service.archive_access import open_for

    off = settings_from_mapping(settings_mapping(tmp_path))
    on = settings_from_mapping(settings_mapping(tmp_path, replication={"url": "/mnt/replica"}))
    with open_for(off) as archive:
        assert archive.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    with open_for(on) as archive:
        pages = archive.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert pages == replication.REPLICATED_CHECKPOINT_PAGES


def test_replicate_without_a_replica_url_says_what_to_set(tmp_path):
    config = write_config(tmp_path / "config.toml", settings_mapping(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "service", "replicate"],
        env={**os.environ, "MASTHEAD_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "[replication] url" in done.stderr
    done = masthead(config, "restore", "--from-replica", "--output", str(tmp_path / "x.db"))
    assert done.exit_code == 1
    assert "[replication] url" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_restore_never_replaces_an_archive(tmp_path):
    mapping = settings_mapping(tmp_path, replication={"url": str(tmp_path / "replica")})
    config = write_config(tmp_path / "config.toml", mapping)
    with open_archive(mapping["archive"]["path"]) as archive:
        archive.save(_story("Still here"), now=datetime.now(UTC))
    done = masthead(config, "restore", "--from-replica")
    assert done.exit_code == 1
    assert "exists: stop the service" in done.stderr
    with open_archive(mapping["archive"]["path"]) as archive:
        assert archive.count() == 1


@pytest.fixture
def s3_store():
    """An S3-compatible store on 127.0.0.1 (moto's server) with an empty bucket `news`."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    )
    client.create_bucket(Bucket="news")
    try:
        yield endpoint, client
    finally:
        server.stop()


# The store's credentials, as production gives them: in the environment only.
S3_KEY = "masthead-test-key"
S3_SECRET = "masthead-test-secret"


def test_replicates_to_an_s3_compatible_store_and_restores_from_it(tmp_path, monkeypatch, s3_store):
    endpoint, client = s3_store
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET)
    url = f"s3://news/gazette/archive?endpoint={endpoint}&region=us-east-1"
    mapping = settings_mapping(tmp_path, replication={"url": url})
    config = write_config(tmp_path / "config.toml", mapping)
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        archive.save(_story("Über die Brücke"), now=datetime.now(UTC))

    def stored() -> set[str]:
        # Level 0: one object per upload (Litestream names S3 levels in four hex digits).
        listed = client.list_objects_v2(Bucket="news", Prefix="gazette/archive/0000/")
        return {item["Key"] for item in listed.get("Contents", [])}

    replicating = start_replicating(config, tmp_path / "litestream.log")
    try:
        deadline = time.monotonic() + FIRST_COPY_TIMEOUT
        while not stored():
            assert replicating.poll() is None, (tmp_path / "litestream.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "litestream.log").read_text()
            time.sleep(0.05)
        before = stored()
        with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
            archive.save(_story("Через мост"), now=datetime.now(UTC))
        while stored() <= before:
            assert replicating.poll() is None
            assert time.monotonic() < deadline, "the second story was not uploaded"
            time.sleep(0.05)
    finally:
        replicating.send_signal(signal.SIGTERM)
        replicating.wait(timeout=30)

    done = masthead(config, "restore", "--from-replica", "--output", str(tmp_path / "back.db"))
    assert done.exit_code == 0, done.output
    assert "stories: 2\n" in done.output
    with open_archive(tmp_path / "back.db") as archive:
        assert {story.title for story in archive.all_stories()} == {"Über die Brücke", "Через мост"}


SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@pytest.fixture
def sftp_server(tmp_path):
    """OpenSSH's sshd on 127.0.0.1 and a free port, taking one key: (port, user key, host key)."""
    keys = tmp_path / "ssh"
    keys.mkdir()
    for name in ("host", "user"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)], check=True
        )
    (keys / "authorized_keys").write_bytes((keys / "user.pub").read_bytes())
    port = free_port()
    (keys / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {keys / 'host'}\n"
        f"PidFile {keys / 'sshd.pid'}\nAuthorizedKeysFile {keys / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\n"
        "UsePAM no\nSubsystem sftp internal-sftp\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    server = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(keys / "sshd_config")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "sshd did not listen"
                time.sleep(0.05)
        host_key = " ".join((keys / "host.pub").read_text().split()[:2])
        wrong_key = " ".join((keys / "user.pub").read_text().split()[:2])
        yield port, keys / "user", host_key, wrong_key
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def test_replicates_over_sftp_checking_the_server_s_key(tmp_path, sftp_server):
    port, user_key, host_key, wrong_key = sftp_server
    remote = tmp_path / "remote" / "news"
    url = f"sftp://{getpass.getuser()}@127.0.0.1:{port}{remote}"
    replication_settings = {"url": url, "sftp_key_path": str(user_key), "sftp_host_key": host_key}
    mapping = settings_mapping(tmp_path, replication=replication_settings)
    config = write_config(tmp_path / "config.toml", mapping)
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        archive.save(_story("Across the strait"), now=datetime.now(UTC))
    replicating = start_replicating(config, tmp_path / "litestream.log")
    try:
        wait_for_first_copy(remote, replicating, tmp_path / "litestream.log")
    finally:
        replicating.send_signal(signal.SIGTERM)
        replicating.wait(timeout=30)
    assert "host key not verified" not in (tmp_path / "litestream.log").read_text()

    done = masthead(config, "restore", "--from-replica", "--output", str(tmp_path / "back.db"))
    assert done.exit_code == 0, done.output
    assert "stories: 1\n" in done.output

    # Another key than the server's: nothing is read from it.
    impostor = write_config(
        tmp_path / "impostor.toml",
        settings_mapping(
            tmp_path, replication={**replication_settings, "sftp_host_key": wrong_key}
        ),
    )
    refused = masthead(impostor, "restore", "--from-replica", "--output", str(tmp_path / "x.db"))
    assert refused.exit_code == 1
    assert "host key mismatch" in refused.output
    assert not (tmp_path / "x.db").exists()


def test_a_restored_file_that_fails_its_check_is_refused_with_what_is_wrong(tmp_path):
    settings = settings_from_mapping(settings_mapping(tmp_path))
    damaged = tmp_path / "damaged.db"
    with open_archive(damaged, domain="news.example") as archive:
        for n in range(30):
            archive.save(_story(f"Story number {n}"), now=datetime.now(UTC))
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # One copy of a slug changes and the others do not: the table and its index disagree.
    raw = damaged.read_bytes()
    at = raw.index(b"story-number-17")
    damaged.write_bytes(raw[:at] + b"story-number-x7" + raw[at + 15 :])
    with pytest.raises(replication.ReplicationError, match="failed PRAGMA integrity_check: row"):
        replication.check_restored(damaged, settings)
    not_a_database = tmp_path / "text.db"
    not_a_database.write_text("a restore cut short " * 500)
    with pytest.raises(replication.ReplicationError, match="cannot be read"):
        replication.check_restored(not_a_database, settings)


def test_a_password_in_the_replica_url_is_never_shown(tmp_path):
    url = "sftp://backup:s3cr3t-pass@replica.example:2222/srv/masthead"
    settings = settings_from_mapping(settings_mapping(tmp_path, replication={"url": url}))
    shown = replication.shown_url(settings)
    assert "s3cr3t" not in shown
    assert shown == "sftp://backup:***@replica.example:2222/srv/masthead"
