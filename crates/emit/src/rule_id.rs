//! Rule ids for the native rule files: Elastic's `rule_id` and Sentinel's `id` are GUIDs
//! (Elastic's in lower case). A Sigma id that is a GUID is kept (lower-cased); a rule
//! without one gets a GUID made from its title, the same on every run, so re-converting a
//! rule updates the rule it made instead of adding another.

/// The GUID to write for a rule with Sigma id `id` and title `title`, in lower case.
pub fn rule_guid(id: Option<&str>, title: &str) -> String {
    id.filter(|id| is_guid(id)).map_or_else(|| guid_from(title), str::to_ascii_lowercase)
}

/// `8-4-4-4-12` hexadecimal digits.
pub fn is_guid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A GUID made from `text` (two FNV-1a hashes), marked version 8 (custom) and RFC 4122
/// variant, so the same title always gets the same id.
pub fn guid_from(text: &str) -> String {
    let fnv = |seed: u64| text.bytes().fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let a = (a & !0xf000) | 0x8000;
    let b = (b & !(0xc000_u64 << 48)) | (0x8000_u64 << 48);
    format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48, b & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_kept_lowered_or_made_from_the_title() {
        assert!(is_guid("5d8fd9da-6916-45ef-8d4d-3fa9d19d1a64"));
        assert!(!is_guid("not-a-guid"));
        let g = guid_from("Some title");
        assert!(is_guid(&g), "{g}");
        assert_eq!(g, guid_from("Some title"));
        assert_ne!(g, guid_from("Some title."));
        assert_eq!(&g[14..15], "8");
        assert_eq!(rule_guid(Some("5D8FD9DA-6916-45EF-8D4D-3FA9D19D1A64"), "t"), "5d8fd9da-6916-45ef-8d4d-3fa9d19d1a64");
        assert_eq!(rule_guid(Some("a-title-like-id"), "t"), guid_from("t"));
        assert_eq!(rule_guid(None, "t"), guid_from("t"));
    }
}
