"""What the figures were measured on: the machine, the server and its settings."""
import os
import platform
import re
import subprocess

import markdown as md
import pg

SETTINGS = ["shared_buffers", "fsync", "synchronous_commit", "wal_level", "max_wal_size", "checkpoint_timeout",
            "max_connections", "work_mem", "jit"]


def cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read(), re.MULTILINE)
    return found.group(1) if found else platform.processor()


def memory_gib():
    with open("/proc/meminfo") as meminfo:
        kib = int(re.search(r"^MemTotal:\s+(\d+)", meminfo.read(), re.MULTILINE).group(1))
    return kib / 1024 / 1024


def describe(profile, commit):
    connection = pg.connect("postgres")
    version = pg.value(connection, "SHOW server_version")
    settings = pg.rows(connection, "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
                       (SETTINGS,))
    extension = pg.value(connection, "SELECT default_version FROM pg_available_extensions WHERE name = 'poolkeeper'")
    data = pg.value(connection, "SHOW data_directory")
    connection.close()
    swift = subprocess.run(["swift", "--version"], text=True, capture_output=True).stdout.splitlines()
    disk = subprocess.run(["df", "-h", "--output=source,fstype,size", data], text=True, capture_output=True).stdout.splitlines()
    rows = [["CPU", f"{os.cpu_count()} cores, {cpu_model()}"],
            ["memory", f"{memory_gib():.0f} GiB"],
            ["system", f"{platform.system()} {platform.release()}"],
            ["data directory's file system", " ".join(disk[-1].split()) if disk else "unknown"],
            ["PostgreSQL", version],
            ["settings", ", ".join(f"{name}={value}" for name, value in settings)],
            ["Swift", swift[0] if swift else "unknown"],
            ["poolkeeper", f"commit {commit}, extension {extension}"],
            ["profile", profile.name]]
    return "\n".join(["## Machine and settings", "", md.table(["", ""], rows, "ll"),
                      "",
                      "Everything runs on this one machine: the server, pgbench or the Swift client, and the harness. "
                      f"With {os.cpu_count()} cores the client takes CPU from the server."])
