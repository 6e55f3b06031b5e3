//! The checks of the Docker host `soc` runs on.

use super::{Diagnosis, DoctorOptions, Status};

pub(super) fn host(options: &DoctorOptions, d: &mut Diagnosis) {
    match std::fs::read_to_string("/proc/sys/vm/max_map_count") {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 262_144 => d.push("host.vm-max-map-count", Status::Pass, format!("vm.max_map_count = {n}"), ""),
            Ok(n) => d.push(
                "host.vm-max-map-count",
                Status::Fail,
                format!("vm.max_map_count = {n}: Elasticsearch refuses to start below 262144"),
                "sysctl -w vm.max_map_count=262144, and add it to /etc/sysctl.d/99-elasticsearch.conf",
            ),
            Err(_) => d.push("host.vm-max-map-count", Status::Warn, format!("unreadable value {v:?}"), ""),
        },
        Err(e) => d.push("host.vm-max-map-count", Status::Skip, format!("not a Linux host? {e}"), ""),
    }
    let listeners = listening_ports();
    if listeners.contains(&443) {
        d.push(
            "host.port-443",
            Status::Warn,
            "something already listens on 443 (Wazuh's dashboard and MISP both want it)",
            "publish MISP on another port (8443) or put both behind one reverse proxy",
        );
    } else {
        d.push("host.port-443", Status::Pass, "443 is free", "");
    }
    if let Some(dir) = &options.misp_volume {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            match std::fs::metadata(dir) {
                Ok(m) if m.uid() == 33 && m.gid() == 33 => d.push(
                    "host.misp-volume-owner",
                    Status::Pass,
                    format!("{} is 33:33", dir.display()),
                    "",
                ),
                Ok(m) => d.push(
                    "host.misp-volume-owner",
                    Status::Fail,
                    format!(
                        "{} is {}:{}; MISP runs as www-data (33:33) and cannot write it",
                        dir.display(),
                        m.uid(),
                        m.gid()
                    ),
                    format!("chown -R 33:33 {}", dir.display()),
                ),
                Err(e) => d.push(
                    "host.misp-volume-owner",
                    Status::Fail,
                    format!("{}: {e}", dir.display()),
                    "create the directory, owned by 33:33",
                ),
            }
        }
    }
}

/// Local TCP ports in LISTEN state, from `/proc/net/tcp{,6}`.
pub(super) fn listening_ports() -> Vec<u16> {
    let mut ports = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.get(3) != Some(&"0A") {
                continue;
            }
            if let Some(port) = cols
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok())
            {
                ports.push(port);
            }
        }
    }
    ports
}
