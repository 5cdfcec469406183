"""MultiWorkerMirroredStrategy: two local worker processes on loopback train a few steps.
About 25 s on 2 cores, so it runs with the other tests.
"""

import json
import os
import socket
import subprocess
import sys

import pytest


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_workers_train_in_lockstep(tmp_path):
    workers = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        environment = {**os.environ, "TF_CONFIG": json.dumps(config), "TF_CPP_MIN_LOG_LEVEL": "2"}
        command = [
            sys.executable,
            "-m",
            "gan_course",
            "train",
            "dcgan",
            "--strategy",
            "multiworker",
            "--epochs",
            "1",
            "--batch-size",
            "512",
            "--latent-dim",
            "16",
            "--no-progress",
            "--out",
            str(tmp_path / f"worker{index}"),
        ]
        processes.append(
            subprocess.Popen(
                command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    results = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr[-2000:]
    histories = [
        json.loads((tmp_path / f"worker{index}" / "history.json").read_text()) for index in range(2)
    ]
    # Both workers ran the same global steps and, being synchronous replicas, report the same means.
    assert histories[0][0]["step"] == histories[1][0]["step"] == 4500 // 512
    assert histories[0][0]["d_loss"] == pytest.approx(histories[1][0]["d_loss"], rel=1e-5)
