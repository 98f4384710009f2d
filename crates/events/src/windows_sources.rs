//! Sigma's Windows log sources as a Windows event record shows them: the service of each
//! channel (SigmaHQ's taxonomy, as its `thor.yml` configuration lists the channels), and the
//! categories of each channel and event ID.
//!
//! The categories are those whose conditions the built-in `evtx` and `windows-flat`
//! pipelines add (`pipeline/builtin/windows-logsources.yml`) plus the few SigmaHQ categories
//! named by event ID in its taxonomy (`ps_classic_provider_start`, `ps_classic_script`,
//! `antivirus`). A record is never denied a category whose pipeline condition it meets (a
//! conformance test checks this against the pipeline), so routing by them only removes rules
//! that could not match or that the pipeline leaves unconditioned.

use vigil_view::SourceLabel;

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const POWERSHELL: &str = "Microsoft-Windows-PowerShell/Operational";
const POWERSHELL_CORE: &str = "PowerShellCore/Operational";
const POWERSHELL_CLASSIC: &str = "Windows PowerShell";
const DEFENDER: &str = "Microsoft-Windows-Windows Defender/Operational";

/// Sigma service ← event log channel.
const SERVICES: &[(&str, &str)] = &[
    ("Security", "security"),
    ("System", "system"),
    ("Application", "application"),
    (SYSMON, "sysmon"),
    (POWERSHELL, "powershell"),
    (POWERSHELL_CORE, "powershell"),
    (POWERSHELL_CLASSIC, "powershell-classic"),
    ("Microsoft-Windows-NTLM/Operational", "ntlm"),
    ("Microsoft-Windows-TaskScheduler/Operational", "taskscheduler"),
    ("Microsoft-Windows-WMI-Activity/Operational", "wmi"),
    ("Microsoft-Windows-DHCP-Server/Operational", "dhcp"),
    ("Microsoft-Windows-PrintService/Admin", "printservice-admin"),
    ("Microsoft-Windows-PrintService/Operational", "printservice-operational"),
    ("Microsoft-Windows-SmbClient/Security", "smbclient-security"),
    ("Microsoft-Windows-SmbClient/Connectivity", "smbclient-connectivity"),
    ("Microsoft-Windows-SMBServer/Connectivity", "smbserver-connectivity"),
    ("Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", "terminalservices-localsessionmanager"),
    ("Microsoft-Windows-CodeIntegrity/Operational", "codeintegrity-operational"),
    ("Microsoft-Windows-AppLocker/MSI and Script", "applocker"),
    ("Microsoft-Windows-AppLocker/EXE and DLL", "applocker"),
    ("Microsoft-Windows-AppLocker/Packaged app-Deployment", "applocker"),
    ("Microsoft-Windows-AppLocker/Packaged app-Execution", "applocker"),
    ("MSExchange Management", "msexchange-management"),
    (DEFENDER, "windefend"),
    ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall", "firewall-as"),
    ("Microsoft-Windows-Bits-Client/Operational", "bits-client"),
    ("Microsoft-Windows-Security-Mitigations/Kernel Mode", "security-mitigations"),
    ("Microsoft-Windows-Security-Mitigations/User Mode", "security-mitigations"),
    ("Microsoft-Windows-Diagnosis-Scripted/Operational", "diagnosis-scripted"),
    ("Microsoft-Windows-Shell-Core/Operational", "shell-core"),
    ("OpenSSH/Operational", "openssh"),
    ("Microsoft-Windows-LDAP-Client/Debug", "ldap"),
    ("Microsoft-Windows-BitLocker/BitLocker Management", "bitlocker"),
    ("Microsoft-Windows-VHDMP/Operational", "vhdmp"),
    ("Microsoft-Windows-AppXDeploymentServer/Operational", "appxdeployment-server"),
    ("Microsoft-Windows-LSA/Operational", "lsa-server"),
    ("Microsoft-Windows-AppxPackaging/Operational", "appxpackaging-om"),
    ("Microsoft-Windows-DNS Client Events/Operational", "dns-client"),
    ("Microsoft-Windows-AppModel-Runtime/Admin", "appmodel-runtime"),
    ("Microsoft-Windows-CAPI2/Operational", "capi2"),
    ("Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational", "certificateservicesclient-lifecycle-system"),
    ("Microsoft-Windows-Kernel-ShimEngine/Operational", "kernel-shimengine"),
    ("Microsoft-Windows-Kernel-ShimEngine/Diagnostic", "kernel-shimengine"),
    ("Microsoft-Windows-Application-Experience/Program-Telemetry", "application-experience"),
    ("Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant", "application-experience"),
    ("Microsoft-Windows-Ntfs/Operational", "ntfs"),
    ("Microsoft-Windows-Hyper-V-Worker", "hyper-v-worker"),
    ("Microsoft-Windows-Kernel-EventTracing", "kernel-event-tracing"),
    ("Microsoft-Windows-SENSE/Operational", "sense"),
    ("Microsoft-ServiceBus-Client/Admin", "servicebus-client"),
    ("Microsoft-ServiceBus-Client/Operational", "servicebus-client"),
    ("Microsoft-IIS-Configuration/Operational", "iis-configuration"),
];

/// The Sigma categories of a Sysmon event ID.
fn sysmon_categories(event_id: u32) -> &'static [&'static str] {
    match event_id {
        1 => &["process_creation"],
        2 => &["file_change"],
        3 => &["network_connection"],
        4 | 16 => &["sysmon_status"],
        5 => &["process_termination"],
        6 => &["driver_load"],
        7 => &["image_load"],
        8 => &["create_remote_thread"],
        9 => &["raw_access_thread"],
        10 => &["process_access"],
        11 => &["file_event"],
        // Which of add/delete depends on EventType; both are kept (the pipeline decides).
        12 => &["registry_add", "registry_delete", "registry_event"],
        13 => &["registry_set", "registry_event"],
        14 => &["registry_rename", "registry_event"],
        15 => &["create_stream_hash"],
        17 | 18 => &["pipe_created"],
        19..=21 => &["wmi_event"],
        22 => &["dns_query"],
        23 | 26 => &["file_delete"],
        24 => &["clipboard_change"],
        25 => &["process_tampering"],
        27 => &["file_block_executable"],
        28 => &["file_block_shredding"],
        29 => &["file_executable_detected"],
        255 => &["sysmon_error"],
        _ => &[],
    }
}

/// The source label of a Windows event record of `channel` with `event_id` (its text, as
/// the record carries it).
pub fn windows_label(channel: &str, event_id: &str) -> SourceLabel {
    let service = SERVICES.iter().find(|(c, _)| c.eq_ignore_ascii_case(channel)).map(|&(_, s)| s);
    let id = event_id.trim().parse::<u32>().ok();
    let categories: &'static [&'static str] = match (service, id) {
        (_, None) | (None, _) => &[],
        (Some("sysmon"), Some(id)) => sysmon_categories(id),
        (Some("security"), Some(4688)) => &["process_creation"],
        (Some("powershell"), Some(4103)) => &["ps_module"],
        (Some("powershell"), Some(4104)) => &["ps_script"],
        (Some("powershell-classic"), Some(400)) => &["ps_classic_start"],
        (Some("powershell-classic"), Some(600)) => &["ps_classic_provider_start"],
        (Some("powershell-classic"), Some(800)) => &["ps_classic_script"],
        (Some("windefend"), Some(1006..=1012 | 1017..=1019 | 1115 | 1116)) => &["antivirus"],
        _ => &[],
    };
    SourceLabel { product: Some("windows"), service, categories }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_name_services_and_event_ids_categories() {
        let l = windows_label("Microsoft-Windows-Sysmon/Operational", "13");
        assert_eq!((l.product, l.service), (Some("windows"), Some("sysmon")));
        assert_eq!(l.categories, ["registry_set", "registry_event"]);
        assert_eq!(windows_label("security", "4688").categories, ["process_creation"]);
        assert!(windows_label("Security", "4624").categories.is_empty());
        assert_eq!(windows_label("Windows PowerShell", "400").service, Some("powershell-classic"));
        // A channel Sigma names no service for: the record is Windows, nothing more.
        let l = windows_label("Microsoft-Windows-Foo/Operational", "1");
        assert_eq!((l.product, l.service, l.categories.len()), (Some("windows"), None, 0));
        // An event ID that is not a number: no category.
        assert!(windows_label(SYSMON, "x").categories.is_empty());
    }
}
