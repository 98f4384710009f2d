# Temporary generator (deleted after use). Writes the malformed corpus.
import os, random, re, uuid
OUT = "/work/main/testdata/sigma-malformed"
rng = random.Random(20240514)
def uid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))

MARK = "@@"
cases = []  # (cat, name, reason, lines, fixed_line, final_newline)

DEF_DET = [
    "    selection:",
    "        Image|endswith: '\\cmd.exe'",
    "        CommandLine|contains: ' /c whoami'",
    "    condition: selection",
]
LS_PC = ["    category: process_creation", "    product: windows"]
LS_NET = ["    category: network_connection", "    product: windows"]

def rule(title, det=None, *, ls=None, over=None, omit=(), extra_top=None, tail=None):
    over = dict(over or {})
    parts = [
        ("title", [f"title: {title}"]),
        ("id", [f"id: {uid()}"]),
        ("status", ["status: test"]),
        ("description", ["description: Malformed rule for the vigil loader test corpus"]),
        ("author", ["author: vigil project"]),
        ("date", ["date: 2024-05-14"]),
        ("tags", ["tags:", "    - attack.execution", "    - attack.t1059.003"]),
        ("logsource", ["logsource:"] + (ls or LS_PC)),
        ("detection", ["detection:"] + (det if det is not None else DEF_DET)),
        ("falsepositives", ["falsepositives:", "    - Unknown"]),
        ("level", ["level: medium"]),
    ]
    out = []
    for k, v in parts:
        if k in omit:
            continue
        out += over.get(k, v)
        if extra_top and k in extra_top:
            out += extra_top[k]
    if tail:
        out += tail
    return out

def add(cat, name, reason, lines, fixed=None, final_newline=True):
    cases.append((cat, name, reason, lines, fixed, final_newline))

T = "Whoami Execution Via Cmd"  # default title stem

# ---------------------------------------------------------------- 1. YAML syntax
C = "yaml"
add(C, "yaml_bad_indent_key", "key dedented to a column that matches no enclosing mapping (bad indentation)",
    rule("Whoami Via Cmd Bad Indentation", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "      CommandLine|contains: ' /c whoami'" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_tab_indentation", "tab character used for indentation",
    rule("Whoami Via Cmd Tab Indentation", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        CommandLine|contains: ' /c whoami'",
        "\tcondition: selection" + MARK,
    ]))
add(C, "yaml_colon_in_plain_value", "plain scalar value contains ': ' (mapping values are not allowed here)",
    rule("Echo Via Cmd Colon In Value", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        CommandLine|contains: cmd.exe /c echo: pwned" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_stray_colon_description", "stray ': ' inside an unquoted description (mapping values are not allowed here)",
    rule("Cmd Spawned By Office Stray Colon",
         over={"description": ["description: Detects cmd.exe: spawned by an Office application" + MARK]}))
add(C, "yaml_unknown_escape_double_quoted", "Windows path in double quotes: \\W is an unknown YAML escape",
    rule("Cmd Path Unknown Escape", [
        "    selection:",
        "        Image: \"C:\\Windows\\System32\\cmd.exe\"" + MARK,
        "        CommandLine|contains: ' /c whoami'",
        "    condition: selection",
    ]))
add(C, "yaml_unclosed_single_quote", "unclosed single quote on the last line (file has no final newline, so end of stream is on this line)",
    rule("Whoami Via Cmd Unclosed Quote", over={"level": ["level: 'medium" + MARK]}),
    final_newline=False)
add(C, "yaml_unclosed_flow_sequence", "'[' opened on the line above is never closed; parsers detect it at this next key",
    rule("Whoami Via Cmd Unclosed Bracket", over={"tags": ["tags: [attack.execution, attack.t1059.003"],
                                                   "logsource": ["logsource:" + MARK] + LS_PC}))
add(C, "yaml_mismatched_bracket", "flow sequence opened with '[' but closed with '}'",
    rule("Shell Via Mismatched Bracket", [
        "    selection:",
        "        Image|endswith: ['\\cmd.exe', '\\powershell.exe'}" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_flow_sequence_missing_comma", "flow sequence entries not separated by ','",
    rule("Shell Via Missing Comma", [
        "    selection:",
        "        Image|endswith: ['\\cmd.exe' '\\powershell.exe']" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_sequence_entry_in_mapping", "block sequence entry '-' inside a block mapping",
    rule("Shell Via Sequence Entry In Mapping", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        - '\\powershell.exe'" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_dedented_sequence_item", "sequence item dedented below its siblings (bad indentation)",
    rule("Shell Via Dedented Sequence Item", [
        "    selection:",
        "        Image|endswith:",
        "            - '\\cmd.exe'",
        "          - '\\powershell.exe'" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_undefined_alias", "alias *cmd_suffix refers to an anchor that is never defined",
    rule("Cmd Via Undefined Alias", [
        "    selection:",
        "        Image|endswith: *cmd_suffix" + MARK,
        "        CommandLine|contains: ' /c whoami'",
        "    condition: selection",
    ]))
add(C, "yaml_unquoted_leading_wildcard", "unquoted value starting with '*' is parsed as a YAML alias",
    rule("Whoami Unquoted Wildcard", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        CommandLine: *whoami*" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_percent_starts_plain_scalar", "unquoted value starting with '%' (reserved indicator cannot start a plain scalar)",
    rule("Comspec Unquoted Percent", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        CommandLine|contains: %COMSPEC% /c whoami" + MARK,
        "    condition: selection",
    ]))
add(C, "yaml_flow_mapping_missing_comma", "flow mapping entries not separated by ','",
    rule("Whoami Flow Mapping Missing Comma",
         over={"logsource": ["logsource: {category: process_creation product: windows}" + MARK]}))

# ---------------------------------------------------------------- 2. duplicate keys
C = "duplicate"
add(C, "dup_top_level_title", "duplicate top-level key 'title' (second occurrence)",
    rule("Whoami Via Cmd", extra_top={"description": ["title: Whoami Via Cmd Duplicate" + MARK]}))
add(C, "dup_detection_block", "duplicate top-level key 'detection' (second occurrence)",
    rule("Whoami Duplicate Detection", extra_top={"detection": [
        "detection:" + MARK,
        "    selection:",
        "        Image|endswith: '\\powershell.exe'",
        "    condition: selection",
    ]}))
add(C, "dup_selection_field", "duplicate field key 'Image|endswith' inside one selection map",
    rule("Shell Duplicate Field Key", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        CommandLine|contains: ' /c whoami'",
        "        Image|endswith: '\\powershell.exe'" + MARK,
        "    condition: selection",
    ]))
add(C, "dup_condition", "duplicate 'condition' key in detection",
    rule("Whoami Duplicate Condition", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        CommandLine|contains: ' /c whoami'",
        "    filter:",
        "        User|startswith: 'adm_'",
        "    condition: selection",
        "    condition: selection and not filter" + MARK,
    ]))
add(C, "dup_search_identifier", "search identifier 'selection' defined twice",
    rule("Whoami Duplicate Identifier", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "    selection:" + MARK,
        "        CommandLine|contains: ' /c whoami'",
        "    condition: selection",
    ]))
add(C, "dup_logsource_product", "duplicate key 'product' inside logsource",
    rule("Whoami Duplicate Product", ls=LS_PC + ["    product: linux" + MARK]))
add(C, "dup_level", "duplicate top-level key 'level'",
    rule("Whoami Duplicate Level", tail=["level: high" + MARK]))
add(C, "dup_flow_mapping_key", "duplicate key 'category' inside a flow mapping",
    rule("Whoami Duplicate Flow Key",
         over={"logsource": ["logsource: {category: process_creation, product: windows, category: image_load}" + MARK]}))
add(C, "dup_id", "duplicate top-level key 'id'",
    rule("Whoami Duplicate Id", extra_top={"status": [f"id: {uid()}" + MARK]}))
add(C, "dup_key_quoted_and_plain", "'Image|endswith' and the quoted 'Image|endswith' are the same key",
    rule("Shell Duplicate Quoted Key", [
        "    selection:",
        "        Image|endswith: '\\cmd.exe'",
        "        'Image|endswith': '\\powershell.exe'" + MARK,
        "    condition: selection",
    ]))
add(C, "dup_key_in_list_item", "duplicate key inside the second map of a list of maps",
    rule("Shell Duplicate Key In List Item", [
        "    selection:",
        "        - Image|endswith: '\\cmd.exe'",
        "          CommandLine|contains: ' /c whoami'",
        "        - Image|endswith: '\\powershell.exe'",
        "          Image|endswith: '\\pwsh.exe'" + MARK,
        "    condition: selection",
    ]))

# ---------------------------------------------------------------- 3. unknown modifiers
C = "unknown-modifier"
def sel1(key_line, extra=None):
    d = ["    selection:", "        Image|endswith: '\\cmd.exe'", key_line + MARK]
    if extra:
        d += extra
    d.append("    condition: selection")
    return d
add(C, "mod_endswithh", "unknown modifier 'endswithh' (typo of endswith)",
    rule("Cmd Unknown Modifier Endswithh", ["    selection:", "        Image|endswithh: '\\cmd.exe'" + MARK,
                                             "        CommandLine|contains: ' /c whoami'", "    condition: selection"]))
add(C, "mod_contain", "unknown modifier 'contain' (typo of contains)",
    rule("Whoami Unknown Modifier Contain", sel1("        CommandLine|contain: ' /c whoami'")))
add(C, "mod_base65", "unknown modifier 'base65'",
    rule("Encoded Whoami Unknown Modifier Base65", sel1("        CommandLine|base65: 'whoami /all'")))
add(C, "mod_re_flag_x", "unknown regex flag modifier 'x' (only i, m, s exist)",
    rule("Whoami Regex Unknown Flag", sel1("        CommandLine|re|x: 'whoami\\s+/all'")))
add(C, "mod_uppercase_contains", "modifier names are lower case; 'Contains' is unknown",
    rule("Whoami Uppercase Modifier", sel1("        CommandLine|Contains: ' /c whoami'")))
add(C, "mod_startwith", "unknown modifier 'startwith' (typo of startswith)",
    rule("Whoami Unknown Modifier Startwith", sel1("        CommandLine|startwith: 'cmd /c whoami'")))
add(C, "mod_chain_contain", "unknown modifier 'contain' at the end of a valid chain",
    rule("Encoded Whoami Chain Typo", sel1("        CommandLine|wide|base64offset|contain: 'whoami /all'")))
add(C, "mod_trailing_pipe", "empty modifier name after a trailing '|'",
    rule("Cmd Empty Modifier", ["    selection:", "        Image|: '\\cmd.exe'" + MARK,
                                "        CommandLine|contains: ' /c whoami'", "    condition: selection"]))
add(C, "mod_double_pipe", "empty modifier name between '||'",
    rule("Whoami Double Pipe Modifier", sel1("        CommandLine||contains: ' /c whoami'")))
add(C, "mod_all_truncated", "unknown modifier 'al' (truncated all)",
    rule("Whoami Truncated All Modifier", sel1("        CommandLine|contains|al:",
         ["            - 'whoami'", "            - '/all'"])))
add(C, "mod_cidrs", "unknown modifier 'cidrs' (typo of cidr)",
    rule("Cmd Connection To Private Network", ["    selection:", "        Image|endswith: '\\cmd.exe'",
                                              "        DestinationIp|cidrs: '10.0.0.0/8'" + MARK, "    condition: selection"], ls=LS_NET))
add(C, "mod_utf8", "unknown modifier 'utf8' (encodings are wide/utf16le/utf16be/utf16)",
    rule("Encoded Whoami Unknown Utf8", sel1("        CommandLine|utf8|base64offset|contains: 'whoami /all'")))

# ---------------------------------------------------------------- 4. invalid modifier usage
C = "modifier-usage"
add(C, "use_contains_then_re", "'re' is only valid on an unmodified value but follows 'contains'",
    rule("Whoami Contains Then Regex", sel1("        CommandLine|contains|re: 'whoami\\s+/all'")))
def net(key_line):
    return rule("Cmd Connection Bad Cidr", ["    selection:", "        Image|endswith: '\\cmd.exe'",
                                            key_line + MARK, "    condition: selection"], ls=LS_NET)
add(C, "use_cidr_not_network", "'cidr' value is not an IP network", net("        DestinationIp|cidr: 'not-a-network'"))
add(C, "use_cidr_ipv4_prefix_33", "'cidr' IPv4 prefix length 33 is out of range", net("        DestinationIp|cidr: '10.0.0.0/33'"))
add(C, "use_cidr_ipv6_prefix_129", "'cidr' IPv6 prefix length 129 is out of range", net("        DestinationIp|cidr: 'fe80::/129'"))
add(C, "use_cidr_after_contains", "'cidr' is only valid on an unmodified value but follows 'contains'",
    net("        DestinationIp|contains|cidr: '10.0.0.0/8'"))
add(C, "use_base64_wildcard", "'base64' value contains the wildcard '*'",
    rule("Encoded Invoke Base64 Wildcard", sel1("        CommandLine|base64: 'Invoke-*'")))
add(C, "use_base64offset_wildcard", "'base64offset' value contains the wildcard '?'",
    rule("Encoded Cmd Base64offset Wildcard", sel1("        CommandLine|wide|base64offset|contains: 'cmd?exe'")))
add(C, "use_gt_string", "'gt' needs a number but the value is a non-numeric string",
    rule("Process Id Greater Than String", sel1("        ProcessId|gt: 'many'")))
add(C, "use_lt_string", "'lt' needs a number but the value is a non-numeric string",
    rule("Session Id Less Than String", sel1("        TerminalSessionId|lt: 'one'")))
add(C, "use_exists_yes", "'exists' needs a boolean but the value is the string 'yes'",
    rule("Parent Command Line Exists Yes", sel1("        ParentCommandLine|exists: 'yes'")))
add(C, "use_exists_quoted_true", "'exists' needs a boolean but the value is the string 'true'",
    rule("Parent Image Exists Quoted True", sel1("        ParentImage|exists: 'true'")))
add(C, "use_fieldref_number", "'fieldref' needs a field name string but the value is the integer 42",
    rule("Image Fieldref Number", ["    selection:", "        Image|fieldref: 42" + MARK,
                                   "        CommandLine|contains: ' /c whoami'", "    condition: selection"]))
add(C, "use_expand_unresolvable", "'expand' placeholder %vigil_undefined_group% is defined nowhere",
    rule("Whoami By Undefined Placeholder Group", sel1("        User|expand: '%vigil_undefined_group%'")))
add(C, "use_re_then_base64", "'base64' cannot encode a regular expression produced by 're'",
    rule("Encoded Whoami Regex Then Base64", sel1("        CommandLine|re|base64: 'whoami.*'")))

# ---------------------------------------------------------------- 5. bad regex
C = "regex"
def rx(title, val):
    return rule(title, sel1(f"        CommandLine|re: '{val}'"))
add(C, "re_unclosed_group", "regex '(unclosed' has an unclosed group", rx("Regex Unclosed Group", "(unclosed"))
add(C, "re_unclosed_class", "regex '[a-' has an unclosed character class", rx("Regex Unclosed Class", "[a-"))
add(C, "re_bad_repetition_range", "regex 'a{2,1}' has min > max in a repetition", rx("Regex Bad Repetition Range", "a{2,1}"))
add(C, "re_lookbehind", "regex uses look-behind '(?<=x)', unsupported by the Rust regex crate", rx("Regex Look Behind", "(?<=x)y"))
add(C, "re_backreference", "regex uses back-reference '\\1', unsupported by the Rust regex crate", rx("Regex Back Reference", "(a)\\1"))
add(C, "re_lookahead", "regex uses look-ahead '(?=...)', unsupported by the Rust regex crate", rx("Regex Look Ahead", "(?=powershell)pwsh"))
add(C, "re_repetition_without_operand", "regex starts with '*' (repetition operator missing expression)", rx("Regex Missing Repetition Operand", "*\\.exe$"))
add(C, "re_unopened_group", "regex has ')' without a matching '('", rx("Regex Unopened Group", "cmd\\.exe)"))
add(C, "re_reversed_class_range", "regex class range '[z-a]' is reversed", rx("Regex Reversed Class Range", "[z-a]"))
add(C, "re_duplicate_group_name", "regex defines the capture group name 'x' twice", rx("Regex Duplicate Group Name", "(?P<x>a)(?P<x>b)"))
add(C, "re_trailing_backslash", "regex ends with a lone backslash (incomplete escape)", rx("Regex Trailing Backslash", "whoami\\"))
add(C, "re_atomic_group", "regex uses atomic group '(?>...)', unsupported by the Rust regex crate", rx("Regex Atomic Group", "(?>cmd|pwsh)\\.exe"))
add(C, "re_bad_value_in_list", "second regex in the value list uses negative look-behind",
    rule("Regex Bad Value In List", ["    selection:", "        Image|endswith: '\\cmd.exe'",
                                     "        CommandLine|re:", "            - '^cmd\\.exe /c'",
                                     "            - '(?<!not)whoami'" + MARK, "    condition: selection"]))

# ---------------------------------------------------------------- 6. condition errors
C = "condition"
def cond(title, c, idents=None):
    idents = idents if idents is not None else [
        "    selection:", "        Image|endswith: '\\cmd.exe'", "        CommandLine|contains: ' /c whoami'",
        "    filter:", "        User|startswith: 'adm_'"]
    return rule(title, idents + [f"    condition: {c}" + MARK])
SEL_ONLY = ["    selection:", "        Image|endswith: '\\cmd.exe'", "        CommandLine|contains: ' /c whoami'"]
add(C, "cond_undefined_identifier", "condition references 'filter' which is not defined",
    cond("Whoami Condition Undefined Identifier", "selection and not filter", SEL_ONLY))
add(C, "cond_pattern_matches_nothing", "pattern 'sel_*' matches no search identifier",
    cond("Whoami Condition Pattern Matches Nothing", "1 of sel_* and not filter_admin",
         ["    selection:", "        Image|endswith: '\\cmd.exe'", "        CommandLine|contains: ' /c whoami'",
          "    filter_admin:", "        User|startswith: 'adm_'"]))
add(C, "cond_unclosed_paren", "unbalanced parentheses: '(' is never closed",
    cond("Whoami Condition Unclosed Paren", "(selection and not filter"))
add(C, "cond_unopened_paren", "unbalanced parentheses: ')' without '('",
    cond("Whoami Condition Unopened Paren", "selection and not filter)"))
add(C, "cond_uppercase_and", "operator keywords are lower case only; 'AND' is invalid",
    cond("Whoami Condition Uppercase And", "selection AND not filter"))
add(C, "cond_dangling_and", "dangling operator: 'and' without a right operand",
    cond("Whoami Condition Dangling And", "selection and", SEL_ONLY))
add(C, "cond_empty_string", "condition is an empty string",
    cond("Whoami Condition Empty", "''", SEL_ONLY))
add(C, "cond_pipe_count_aggregation", "obsolete v1 pipe aggregation '| count() > 5'",
    cond("Whoami Condition Pipe Count", "selection | count() > 5", SEL_ONLY))
add(C, "cond_near_aggregation", "obsolete v1 'near' aggregation",
    cond("Whoami Condition Near", "selection | near filter"))
add(C, "cond_two_of_them", "'2 of' is not valid; only '1 of' and 'all of' exist",
    cond("Whoami Condition Two Of Them", "2 of them"))
add(C, "cond_double_or", "two operators in a row: 'or or'",
    cond("Whoami Condition Double Or", "selection or or filter"))
add(C, "cond_bare_wildcard_identifier", "wildcard 'selection*' used without '1 of'/'all of'",
    cond("Whoami Condition Bare Wildcard", "selection* and not filter"))
add(C, "cond_them_matches_nothing", "'1 of them' matches nothing: identifiers starting with '_' are excluded",
    cond("Whoami Condition Them Matches Nothing", "1 of them",
         ["    _selection:", "        Image|endswith: '\\cmd.exe'", "        CommandLine|contains: ' /c whoami'"]))
add(C, "cond_all_of_missing_pattern", "'all of' without a pattern or 'them'",
    cond("Whoami Condition All Of Missing Pattern", "all of", SEL_ONLY))
add(C, "cond_trailing_not", "dangling 'not' without an operand",
    cond("Whoami Condition Trailing Not", "selection and not"))
add(C, "cond_identifier_case_mismatch", "condition references 'Selection' but the identifier is 'selection' (case-sensitive)",
    cond("Whoami Condition Identifier Case", "Selection", SEL_ONLY))
add(C, "cond_null", "condition is null (~)",
    cond("Whoami Condition Null", "~", SEL_ONLY))

# ---------------------------------------------------------------- 7. wrong types
C = "type"
add(C, "type_detection_is_list", "'detection' must be a map but is a list",
    rule("Whoami Detection List", over={"detection": [
        "detection:" + MARK,
        "    - selection:",
        "          Image|endswith: '\\cmd.exe'",
        "    - condition: selection"]}))
add(C, "type_logsource_is_string", "'logsource' must be a map but is a string",
    rule("Whoami Logsource String", over={"logsource": ["logsource: windows_process_creation" + MARK]}))
add(C, "type_title_missing", "required key 'title' is missing (document starts on line 2)",
    rule("unused", omit=("title",)), fixed=2)
add(C, "type_title_is_list", "'title' must be a string but is a list",
    rule("unused", over={"title": ["title: [Whoami Via Cmd, Whoami Via Shell]" + MARK]}))
add(C, "type_condition_is_map", "'condition' must be a string (or list of strings) but is a map",
    rule("Whoami Condition Map", SEL_ONLY + ["    condition: {selection: true}" + MARK]))
add(C, "type_value_map_in_list_flow", "a value list contains a map",
    rule("Shell Value Map In List", ["    selection:",
        "        Image|endswith: ['\\cmd.exe', {path: '\\powershell.exe'}]" + MARK, "    condition: selection"]))
add(C, "type_value_map_in_list_block", "the second item of a value list is a map",
    rule("Shell Value Map In Block List", ["    selection:", "        Image|endswith:",
        "            - '\\cmd.exe'", "            - path: '\\powershell.exe'" + MARK, "    condition: selection"]))
add(C, "type_tags_is_string", "'tags' must be a list but is a string",
    rule("Whoami Tags String", over={"tags": ["tags: attack.execution" + MARK]}))
add(C, "type_level_unknown", "unknown level 'extreme'",
    rule("Whoami Level Extreme", over={"level": ["level: extreme" + MARK]}))
add(C, "type_status_unknown", "unknown status 'final'",
    rule("Whoami Status Final", over={"status": ["status: final" + MARK]}))
add(C, "type_date_v1_format", "date '2023/01/01' uses the v1 format; v2 requires YYYY-MM-DD",
    rule("Whoami Old Date Format", over={"date": ["date: 2023/01/01" + MARK]}))
add(C, "type_modified_invalid_date", "modified '2024-13-45' is not a valid date",
    rule("Whoami Invalid Modified Date", extra_top={"date": ["modified: '2024-13-45'" + MARK]}))
LONG = "Whoami Execution Via Cmd " * 13
add(C, "type_title_too_long", f"title is {len(LONG.strip())} characters, longer than the 256 allowed",
    rule("unused", over={"title": [f"title: {LONG.strip()}" + MARK]}))
add(C, "type_field_value_is_map", "a field value must be a scalar or list but is a map",
    rule("Cmd Field Value Map", ["    selection:", "        Image: {endswith: '\\cmd.exe'}" + MARK,
        "        CommandLine|contains: ' /c whoami'", "    condition: selection"]))
add(C, "type_references_is_string", "'references' must be a list but is a string",
    rule("Whoami References String", extra_top={"description": ["references: https://example.org/whoami-abuse" + MARK]}))
add(C, "type_related_obsoletes", "related type 'obsoletes' is the v1 name; v2 uses 'obsolete'",
    rule("Whoami Related Obsoletes", extra_top={"id": ["related:", f"    - id: {uid()}", "      type: obsoletes" + MARK]}))
add(C, "type_fields_is_string", "'fields' must be a list but is a string",
    rule("Whoami Fields String", extra_top={"detection": ["fields: CommandLine" + MARK]}))
add(C, "type_value_nested_list", "a value list contains a nested list",
    rule("Shell Value Nested List", ["    selection:",
        "        Image|endswith: [['\\cmd.exe', '\\powershell.exe']]" + MARK, "    condition: selection"]))
add(C, "type_author_is_list", "'author' must be a string but is a list",
    rule("Whoami Author List", over={"author": ["author: [Alice Example, Bob Example]" + MARK]}))
add(C, "type_detection_is_string", "'detection' must be a map but is a string",
    rule("Whoami Detection String", over={"detection": ["detection: selection" + MARK]}))
add(C, "type_logsource_category_is_list", "logsource 'category' must be a string but is a list",
    rule("Whoami Logsource Category List", ls=["    category: [process_creation, image_load]" + MARK, "    product: windows"]))
add(C, "type_detection_missing", "required key 'detection' is missing and the document is no correlation or filter (document starts on line 2)",
    rule("Whoami Without Detection", omit=("detection",)), fixed=2)

# ---------------------------------------------------------------- 8. deep nesting / alias bombs
C = "nesting"
N = 256
add(C, "deep_flow_list_value", f"detection value nested {N} flow lists deep",
    rule("Deeply Nested Value", ["    selection:",
        "        Image|endswith: " + "[" * N + "'\\cmd.exe'" + "]" * N + MARK, "    condition: selection"]))
N = 220
add(C, "deep_block_sequence_value", f"detection value nested {N} compact block sequences deep",
    rule("Deeply Nested Block Value", ["    selection:", "        Image|endswith:",
        "            " + "- " * N + "'\\cmd.exe'" + MARK, "    condition: selection"]))
N = 300
add(C, "deep_flow_map_custom_key", f"custom top-level key nested {N} flow mappings deep",
    rule("Deeply Nested Custom Map", extra_top={"level": ["x-nested: " + "{a: " * N + "1" + "}" * N + MARK]}))
N = 1000
add(C, "deep_flow_list_custom_key", f"custom top-level key nested {N} flow lists deep",
    rule("Deeply Nested Custom List", extra_top={"level": ["x-nested: " + "[" * N + "]" * N + MARK]}))
N = 500
add(C, "deep_condition_parens", f"condition nested in {N} pairs of parentheses",
    cond("Deeply Nested Condition", "(" * N + "selection" + ")" * N, SEL_ONLY))
bomb = ["x-lol:", "    a: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']"]
prev = "a"
for i, nm in enumerate("bcdefghij"):
    bomb.append(f"    {nm}: &{nm} [" + ", ".join([f"*{prev}"] * 10) + "]" + (MARK if i == 0 else ""))
    prev = nm
add(C, "alias_bomb_lists", "billion laughs: 9 levels of 10 aliases each expand to 10^10 nodes (first alias-using line)",
    rule("Alias Bomb Lists", extra_top={"level": bomb}))
bomb = ["x-lol:", "    m0: &m0 {k0: lol, k1: lol, k2: lol, k3: lol, k4: lol, k5: lol, k6: lol, k7: lol}"]
for i in range(1, 10):
    bomb.append(f"    m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i-1}" for j in range(8)) + "}" + (MARK if i == 1 else ""))
add(C, "alias_bomb_maps", "alias bomb with maps: 9 levels of 8 aliases each expand to 8^10 nodes (first alias-using line)",
    rule("Alias Bomb Maps", extra_top={"level": bomb}))
bomb = ["x-lol:", "    l0: &l0 ['lol', 'lol']"]
for i in range(1, 41):
    bomb.append(f"    l{i}: &l{i} [*l{i-1}, *l{i-1}]" + (MARK if i == 1 else ""))
add(C, "alias_bomb_binary_chain", "alias bomb: 40 levels of 2 aliases each expand to 2^41 nodes (first alias-using line)",
    rule("Alias Bomb Binary Chain", extra_top={"level": bomb}))

# ---------------------------------------------------------------- 9. correlation
C = "correlation"
def base_rule(name="failed_logon"):
    return [
        "title: Failed Logon Attempt",
        f"id: {uid()}",
        f"name: {name}",
        "status: test",
        "logsource:",
        "    product: windows",
        "    service: security",
        "detection:",
        "    selection:",
        "        EventID: 4625",
        "    condition: selection",
        "level: low",
        "---",
    ]
def corr(title, body, base_name=None):
    # Every file defines its own rule name so that names stay unique across the corpus.
    base_name = base_name or "failed_logon_" + re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    body = [l.replace("{BASE}", base_name) for l in body]
    return base_rule(base_name) + [
        f"title: {title}",
        f"id: {uid()}",
        "status: test",
    ] + body + ["level: high"]
def cbody(type_="event_count", rules=("        - {BASE}",), group=("    group-by:", "        - TargetUserName"),
          timespan="    timespan: 5m", condition=("    condition:", "        gte: 10"), head="correlation:"):
    out = [head]
    out += [f"    type: {type_}"] if type_ is not None else []
    out += (["    rules:"] + list(rules)) if rules is not None else []
    out += list(group or [])
    out += [timespan] if timespan is not None else []
    out += list(condition or [])
    return out
add(C, "corr_unknown_type", "unknown correlation type 'event_counts'",
    corr("Many Failed Logons Unknown Type", cbody(type_="event_counts" + MARK)))
add(C, "corr_missing_rules", "correlation has no 'rules' (points at 'correlation:')",
    corr("Many Failed Logons Missing Rules", cbody(rules=None, head="correlation:" + MARK)))
add(C, "corr_timespan_bad_unit", "timespan '5x' has an unknown unit",
    corr("Many Failed Logons Bad Timespan", cbody(timespan="    timespan: 5x" + MARK)))
add(C, "corr_condition_non_numeric", "correlation condition 'gte: many' is not a number",
    corr("Many Failed Logons Non Numeric Condition", cbody(condition=["    condition: {gte: many}" + MARK])))
add(C, "corr_value_count_missing_field", "value_count condition has no 'field'",
    corr("Many Distinct Workstations Missing Field", cbody(type_="value_count", condition=["    condition: {gte: 3}" + MARK])))
add(C, "corr_unknown_rule_reference", "rules references a name (note the trailing 's') that no document in this file defines",
    corr("Many Failed Logons Unknown Reference", cbody(rules=["        - {BASE}s" + MARK])))
add(C, "corr_unknown_condition_operator", "unknown correlation condition operator 'greater'",
    corr("Many Failed Logons Unknown Operator", cbody(condition=["    condition: {greater: 10}" + MARK])))
add(C, "corr_negative_timespan", "timespan '-5m' is negative",
    corr("Many Failed Logons Negative Timespan", cbody(timespan="    timespan: -5m" + MARK)))
add(C, "corr_missing_timespan", "correlation has no 'timespan' (points at 'correlation:')",
    corr("Many Failed Logons Missing Timespan", cbody(timespan=None, head="correlation:" + MARK)))
add(C, "corr_missing_type", "correlation has no 'type' (points at 'correlation:')",
    corr("Many Failed Logons Missing Type", cbody(type_=None, head="correlation:" + MARK)))
add(C, "corr_is_list", "'correlation' must be a map but is a list",
    corr("Many Failed Logons Correlation List", ["correlation: [event_count, failed_logon]" + MARK]))
add(C, "corr_event_count_missing_condition", "event_count correlation has no 'condition' (points at 'correlation:')",
    corr("Many Failed Logons Missing Condition", cbody(condition=None, head="correlation:" + MARK)))
add(C, "corr_rules_empty", "correlation 'rules' is an empty list",
    corr("Many Failed Logons Empty Rules", cbody(rules=None)[:2] + ["    rules: []" + MARK] + cbody(rules=None)[2:]))

# ---------------------------------------------------------------- 10. filters
C = "filter"
TARGET = uid()
def flt(title, body=None, *, ls=True, head_extra=None, omit_title=False):
    global TARGET
    TARGET = uid()
    out = []
    if not omit_title:
        out.append(f"title: {title}")
    out += [f"id: {uid()}", "description: Ignore whoami run by the administrator accounts", "date: 2024-05-14"]
    if ls:
        out += ["logsource:"] + LS_PC
    out += [l.replace("{TARGET}", TARGET) for l in (body if body is not None else fbody())]
    out += ["---", "title: Whoami Execution Via Cmd", f"id: {TARGET}", "status: test",
            "logsource:"] + LS_PC + ["detection:"] + DEF_DET + ["level: medium"]
    return out
def fbody(head="filter:", rules=("        - {TARGET}",), sel=("    selection:", "        User|startswith: 'adm_'"),
          condition="    condition: not selection"):
    out = [head]
    out += (["    rules:"] + list(rules)) if rules is not None else []
    out += list(sel)
    out += [condition] if condition is not None else []
    return out
add(C, "filter_missing_condition", "filter has no 'condition' (points at 'filter:')",
    flt("Admin Whoami Filter Missing Condition", fbody(head="filter:" + MARK, condition=None)))
add(C, "filter_condition_undefined", "filter condition references 'selection_admin' which is not defined",
    flt("Admin Whoami Filter Undefined Selection", fbody(condition="    condition: not selection_admin" + MARK)))
add(C, "filter_missing_rules", "filter has no 'rules' (points at 'filter:')",
    flt("Admin Whoami Filter Missing Rules", fbody(head="filter:" + MARK, rules=None)))
add(C, "filter_rules_empty", "filter 'rules' is an empty list",
    flt("Admin Whoami Filter Empty Rules", ["filter:", "    rules: []" + MARK, "    selection:",
                                             "        User|startswith: 'adm_'", "    condition: not selection"]))
add(C, "filter_missing_logsource", "filter has no 'logsource' (document starts on line 2)",
    flt("Admin Whoami Filter Missing Logsource", ls=False), fixed=2)
add(C, "filter_is_string", "'filter' must be a map but is a string",
    flt("Admin Whoami Filter String", ["filter: not selection" + MARK]))
add(C, "filter_condition_uppercase_not", "operator keywords are lower case only; 'NOT' is invalid",
    flt("Admin Whoami Filter Uppercase Not", fbody(condition="    condition: NOT selection" + MARK)))
add(C, "filter_unknown_modifier", "unknown modifier 'startwith' in a filter selection",
    flt("Admin Whoami Filter Unknown Modifier", fbody(sel=["    selection:", "        User|startwith: 'adm_'" + MARK])))
add(C, "filter_pattern_matches_nothing", "filter pattern 'flt_*' matches no identifier",
    flt("Admin Whoami Filter Pattern Matches Nothing", fbody(condition="    condition: not 1 of flt_*" + MARK)))
add(C, "filter_condition_dangling_not", "filter condition is a dangling 'not'",
    flt("Admin Whoami Filter Dangling Not", fbody(condition="    condition: not" + MARK)))

# ---------------------------------------------------------------- 11. misc
C = "misc"
add(C, "misc_detection_without_condition", "detection has no 'condition' (points at 'detection:')",
    rule("Whoami Detection Without Condition", over={"detection": ["detection:" + MARK, "    selection:",
        "        Image|endswith: '\\cmd.exe'", "        CommandLine|contains: ' /c whoami'"]}))
add(C, "misc_selection_empty_map", "search identifier 'selection' is an empty map",
    rule("Whoami Empty Selection Map", ["    selection: {}" + MARK, "    condition: selection"]))
add(C, "misc_null_in_value_list_flow", "'null' inside a value list",
    rule("Cmd Null In Value List", ["    selection:", "        Image|endswith: ['\\cmd.exe', null]" + MARK,
        "        CommandLine|contains: ' /c whoami'", "    condition: selection"]))
add(C, "misc_null_in_value_list_block", "'null' inside a block value list",
    rule("Cmd Null In Block Value List", ["    selection:", "        Image|endswith:", "            - '\\cmd.exe'",
        "            - null" + MARK, "        CommandLine|contains: ' /c whoami'", "    condition: selection"]))
add(C, "misc_keywords_mixed_with_map_flow", "one identifier mixes a keyword with a field map",
    rule("Mimikatz Keywords Mixed Flow", ["    keywords: ['sekurlsa::logonpasswords', {Image|endswith: '\\mimikatz.exe'}]" + MARK,
        "    condition: keywords"]))
add(C, "misc_keywords_mixed_with_map_block", "the second item of a keyword list is a field map",
    rule("Mimikatz Keywords Mixed Block", ["    keywords:", "        - 'sekurlsa::logonpasswords'",
        "        - Image|endswith: '\\mimikatz.exe'" + MARK, "    condition: keywords"]))
add(C, "misc_selection_null", "search identifier 'selection' is null",
    rule("Whoami Null Selection", ["    selection: null" + MARK, "    condition: selection"]))
add(C, "misc_selection_empty_list", "search identifier 'selection' is an empty list",
    rule("Whoami Empty Selection List", ["    selection: []" + MARK, "    condition: selection"]))
add(C, "misc_missing_logsource", "required key 'logsource' is missing (document starts on line 2)",
    rule("Whoami Without Logsource", omit=("logsource",)), fixed=2)
add(C, "misc_detection_empty_map", "'detection' is an empty map",
    rule("Whoami Empty Detection", over={"detection": ["detection: {}" + MARK]}))
add(C, "misc_empty_map_in_list_of_maps", "the second map of a list of maps is empty",
    rule("Shell Empty Map In List", ["    selection:", "        - Image|endswith: '\\cmd.exe'", "        - {}" + MARK,
        "    condition: selection"]))
add(C, "misc_logsource_empty", "'logsource' is an empty map (no category, product or service)",
    rule("Whoami Empty Logsource", over={"logsource": ["logsource: {}" + MARK]}))

# ---------------------------------------------------------------- write
import json
manifest = []
for n, (cat, name, reason, lines, fixed, fnl) in enumerate(cases, 1):
    marked = [i for i, l in enumerate(lines) if l.endswith(MARK)]
    if fixed is not None:
        assert not marked, name
        L = fixed
    else:
        assert len(marked) == 1, (name, marked)
        L = marked[0] + 2
    body = [l[:-len(MARK)] if l.endswith(MARK) else l for l in lines]
    text = f"# expect-line: {L}  {reason}\n" + "\n".join(body) + ("\n" if fnl else "")
    fn = f"{n:03d}_{name}.yml"
    with open(os.path.join(OUT, fn), "w") as f:
        f.write(text)
    manifest.append((fn, cat, L, reason, len(body) + 1))
with open(os.path.join(OUT, ".manifest_tmp.json"), "w") as f:
    json.dump(manifest, f, indent=0)
print(len(cases))
