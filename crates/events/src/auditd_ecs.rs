//! One auditd event (its records, [`crate::auditd`]) rendered as a JSON document, under two
//! sets of names at once:
//!
//! - ECS as Auditbeat writes it: `@timestamp`, `event.{module,kind,action,category,type,
//!   outcome}`, `process.{executable,name,pid,args,args_count,command_line,title,
//!   working_directory,parent.pid}`, `user.{id,name,audit.id,audit.name,effective.id}`,
//!   `group.id`, `file.path`, `destination.{ip,port}`, `host.name`, `tags` (the audit key),
//!   `auditd.{sequence,data.syscall}`;
//! - the raw auditd field names SigmaHQ's `product: linux, service: auditd` rules read, at the
//!   top level: `type`, `a0`..`aN`, `exe`, `comm`, `key`, `name`, `nametype`, `syscall`,
//!   `SYSCALL`, …; a name several records carry (`type`, PATH's `name`, SYSCALL's and
//!   EXECVE's `a0`) holds all their values, as an array, so `type: PATH` with `name: x` match
//!   an event with any PATH record naming `x`.

use std::fmt::Write as _;

use crate::auditd::{stamp_parts, Record};

/// x86_64 (`arch=c000003e`) syscall numbers the rules and the ECS mapping use, by name.
const X86_64: &[(u32, &str)] = &[
    (0, "read"),
    (1, "write"),
    (2, "open"),
    (3, "close"),
    (4, "stat"),
    (9, "mmap"),
    (10, "mprotect"),
    (16, "ioctl"),
    (21, "access"),
    (41, "socket"),
    (42, "connect"),
    (43, "accept"),
    (44, "sendto"),
    (49, "bind"),
    (50, "listen"),
    (56, "clone"),
    (57, "fork"),
    (58, "vfork"),
    (59, "execve"),
    (60, "exit"),
    (62, "kill"),
    (63, "uname"),
    (76, "truncate"),
    (77, "ftruncate"),
    (82, "rename"),
    (83, "mkdir"),
    (84, "rmdir"),
    (85, "creat"),
    (86, "link"),
    (87, "unlink"),
    (88, "symlink"),
    (90, "chmod"),
    (91, "fchmod"),
    (92, "chown"),
    (93, "fchown"),
    (94, "lchown"),
    (99, "sysinfo"),
    (101, "ptrace"),
    (103, "syslog"),
    (105, "setuid"),
    (106, "setgid"),
    (113, "setreuid"),
    (114, "setregid"),
    (117, "setresuid"),
    (119, "setresgid"),
    (133, "mknod"),
    (135, "personality"),
    (161, "chroot"),
    (165, "mount"),
    (166, "umount2"),
    (169, "reboot"),
    (170, "sethostname"),
    (175, "init_module"),
    (176, "delete_module"),
    (188, "setxattr"),
    (257, "openat"),
    (258, "mkdirat"),
    (259, "mknodat"),
    (260, "fchownat"),
    (263, "unlinkat"),
    (264, "renameat"),
    (265, "linkat"),
    (266, "symlinkat"),
    (268, "fchmodat"),
    (272, "unshare"),
    (288, "accept4"),
    (308, "setns"),
    (313, "finit_module"),
    (316, "renameat2"),
    (319, "memfd_create"),
    (321, "bpf"),
    (322, "execveat"),
];

/// `event.action`, `event.category` and `event.type` of a syscall, as Auditbeat names them.
fn syscall_action(name: &str) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    Some(match name {
        "execve" | "execveat" => ("executed", "process", &["start"]),
        "connect" => ("connected-to", "network", &["connection", "start"]),
        "bind" => ("bound-socket", "network", &["start"]),
        "accept" | "accept4" => ("accepted-connection-from", "network", &["connection", "start"]),
        "open" | "openat" | "creat" => ("opened-file", "file", &["info"]),
        "unlink" | "unlinkat" | "rmdir" => ("deleted", "file", &["deletion"]),
        "rename" | "renameat" | "renameat2" => ("renamed", "file", &["change"]),
        "chmod" | "fchmod" | "fchmodat" => ("changed-file-permissions-of", "file", &["change"]),
        "chown" | "fchown" | "lchown" | "fchownat" => ("changed-file-ownership-of", "file", &["change"]),
        "init_module" | "finit_module" => ("loaded-kernel-module", "driver", &["start"]),
        "delete_module" => ("unloaded-kernel-module", "driver", &["end"]),
        _ => return None,
    })
}

/// A document's fields in order; a name given twice holds both values (an array).
#[derive(Default)]
struct Doc {
    fields: Vec<(String, Vec<String>)>,
}

impl Doc {
    fn add(&mut self, key: &str, value: &str) {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) if values.iter().any(|v| v == value) => {}
            Some((_, values)) => values.push(value.to_string()),
            None => self.fields.push((key.to_string(), vec![value.to_string()])),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }
}

/// Renders the records of one event as one JSON document (one line) onto `out`.
pub fn render(records: &[Record], out: &mut Vec<u8>) {
    let mut ecs = Doc::default();
    let mut raw = Doc::default();
    let first = records.first();
    if let Some((secs, millis, serial)) = first.and_then(|r| stamp_parts(&r.stamp)) {
        ecs.add("@timestamp", &timestamp(secs, millis));
        ecs.add("auditd.sequence", &serial.to_string());
    }
    ecs.add("event.module", "auditd");
    ecs.add("event.kind", "event");
    if let Some(node) = first.and_then(|r| r.node.as_deref()) {
        ecs.add("host.name", node);
    }
    for record in records {
        raw.add("type", &record.kind);
        for (key, value) in &record.fields {
            raw.add(key, value);
        }
    }
    let syscall = records.iter().find(|r| r.kind == "SYSCALL");
    let mut action = None;
    if let Some(sc) = syscall {
        let name = sc.get("SYSCALL").map(str::to_string).or_else(|| syscall_name(sc.get("arch")?, sc.get("syscall")?).map(str::to_string));
        if let Some(name) = &name {
            ecs.add("auditd.data.syscall", name);
            if !raw.has("SYSCALL") {
                raw.add("SYSCALL", name);
            }
            action = syscall_action(name);
        }
        for (ecs_name, field) in [
            ("process.executable", "exe"),
            ("process.name", "comm"),
            ("process.pid", "pid"),
            ("process.parent.pid", "ppid"),
            ("user.id", "uid"),
            ("user.name", "UID"),
            ("user.audit.id", "auid"),
            ("user.audit.name", "AUID"),
            ("user.effective.id", "euid"),
            ("group.id", "gid"),
        ] {
            if let Some(value) = sc.get(field) {
                ecs.add(ecs_name, value);
            }
        }
        match sc.get("success") {
            Some("yes") => ecs.add("event.outcome", "success"),
            Some("no") => ecs.add("event.outcome", "failure"),
            _ => {}
        }
        if let Some(key) = sc.get("key").filter(|k| *k != "(null)") {
            ecs.add("tags", key);
        }
    }
    match action {
        Some((action, category, types)) => {
            ecs.add("event.action", action);
            ecs.add("event.category", category);
            for t in types {
                ecs.add("event.type", t);
            }
        }
        None => {
            if let Some(kind) = records.iter().find(|r| r.kind != "PROCTITLE").or(first).map(|r| r.kind.to_ascii_lowercase()) {
                ecs.add("event.action", &kind);
            }
        }
    }
    if let Some(execve) = records.iter().find(|r| r.kind == "EXECVE") {
        let args: Vec<&str> = execve
            .fields
            .iter()
            .filter(|(k, _)| k.starts_with('a') && k.get(1..).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
            .map(|(_, v)| v.as_str())
            .collect();
        ecs.add("process.args_count", &args.len().to_string());
        ecs.add("process.command_line", &args.join(" "));
        // Arguments repeat (`-v -v`): kept as they are, not as a set.
        ecs.fields.push(("process.args".into(), args.iter().map(|a| a.to_string()).collect()));
    }
    if let Some(title) = records.iter().find(|r| r.kind == "PROCTITLE").and_then(|r| r.get("proctitle")) {
        ecs.add("process.title", &title.replace('\0', " "));
    }
    if let Some(cwd) = records.iter().find(|r| r.kind == "CWD").and_then(|r| r.get("cwd")) {
        ecs.add("process.working_directory", cwd);
    }
    if let Some(path) = records.iter().filter(|r| r.kind == "PATH").find(|r| r.get("nametype") != Some("PARENT")).and_then(|r| r.get("name")) {
        ecs.add("file.path", path);
    }
    if let Some((ip, port)) = records.iter().find(|r| r.kind == "SOCKADDR").and_then(|r| r.get("saddr")).and_then(socket_address) {
        ecs.add("destination.ip", &ip);
        ecs.add("destination.port", &port.to_string());
    }
    write_object(out, &ecs, &raw);
}

/// The name of syscall `number` on `arch` (x86_64 only).
fn syscall_name(arch: &str, number: &str) -> Option<&'static str> {
    // `ausearch -i` (interpreted) logs carry the name already.
    let Ok(number) = number.parse::<u32>() else {
        return X86_64.iter().find(|(_, name)| *name == number).map(|(_, name)| *name);
    };
    if arch != "c000003e" && arch != "x86_64" {
        return None;
    }
    X86_64.iter().find(|(n, _)| *n == number).map(|(_, name)| *name)
}

/// IPv4 and IPv6 addresses and ports of a `saddr` (hex `struct sockaddr`).
fn socket_address(saddr: &str) -> Option<(String, u16)> {
    let hex = saddr.as_bytes();
    let byte = |i: usize| -> Option<u8> {
        let pair = hex.get(2 * i..2 * i + 2)?;
        u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()
    };
    let family = u16::from(byte(0)?) | (u16::from(byte(1)?) << 8);
    let port = (u16::from(byte(2)?) << 8) | u16::from(byte(3)?);
    match family {
        2 => Some((format!("{}.{}.{}.{}", byte(4)?, byte(5)?, byte(6)?, byte(7)?), port)),
        10 => {
            let mut text = String::new();
            for group in 0..8 {
                let word = (u16::from(byte(8 + 2 * group)?) << 8) | u16::from(byte(9 + 2 * group)?);
                if group > 0 {
                    text.push(':');
                }
                let _ = write!(text, "{word:x}");
            }
            Some((text, port))
        }
        _ => None,
    }
}

/// `SECS.MILLIS` as an RFC 3339 UTC time.
fn timestamp(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (year, month, day) = crate::civil::date_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Writes the ECS names (dotted names as nested objects) and then the raw names, as one object.
fn write_object(out: &mut Vec<u8>, ecs: &Doc, raw: &Doc) {
    out.push(b'{');
    let mut first = true;
    // ECS names are written dotted: the JSON scanner reads `a.b` and `{"a":{"b":…}}` alike.
    for (key, values) in ecs.fields.iter().chain(raw.fields.iter()) {
        if !first {
            out.push(b',');
        }
        first = false;
        string(out, key);
        out.push(b':');
        let list = values.len() > 1 || matches!(key.as_str(), "process.args" | "event.category" | "event.type" | "tags");
        if list {
            out.push(b'[');
        }
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, value);
        }
        if list {
            out.push(b']');
        }
    }
    out.push(b'}');
}

/// A JSON string.
fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}
