//! Transliteration of names into the characters of a machine readable zone (ICAO Doc 9303
//! Part 3, section 6: "Transliterations recommended for use by States"), for comparing a name
//! an integration supplied (any Unicode) with the name read from a document's chip.
//!
//! Latin letters with diacritics lose them (Č → C), some become digraphs (Æ → AE, Ø → OE,
//! Þ → TH, ß → SS); Ä, Ö, Ü (AE / OE / UE, or A / O / U), Å (AA or A) and Ñ have more than one
//! accepted form and any of them matches. Cyrillic and Greek follow the Part 3 tables (with the
//! national alternatives the tables note: Г → G or H, И → I or Y; Greek ΟΥ → OU, ΑΥ / ΕΥ → AV / EV
//! or AF / EF). On the chip's side the filler `<`, spaces, hyphens and apostrophes separate name
//! components and are ignored, as in the supplied name.
//!
//! Pure, bounded: a supplied name longer than [`MAX_NAME_CHARS`] never matches.

/// Longest supplied name that is compared (longer ones never match).
pub const MAX_NAME_CHARS: usize = 200;

/// What one uppercase character of a supplied name may be written as in an MRZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// A separator or a mark that the MRZ omits or writes as the filler (space, `-`, `'`,
    /// `<`, combining marks, the Cyrillic soft sign).
    Skip,
    /// One or more accepted spellings; the first is Doc 9303's recommended one.
    Letters(&'static [&'static str]),
}

/// The spellings of an uppercase character, or `None` for a character the tables do not cover
/// (such a name never matches).
fn unit(c: char) -> Option<Unit> {
    use Unit::{Letters, Skip};
    static ASCII: [&str; 26] = [
        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V",
        "W", "X", "Y", "Z",
    ];
    if c.is_ascii_uppercase() {
        let i = usize::from(u8::try_from(c).ok()?.checked_sub(b'A')?);
        return ASCII.get(i..=i).map(Letters);
    }
    let l = |s: &'static [&'static str]| Some(Letters(s));
    match c {
        ' ' | '-' | '\'' | '<' | ',' | '.' | '\u{2019}' | '\u{2010}' | '\u{2011}' | '\u{00A0}' | '`' | '\u{00B4}' => {
            Some(Skip)
        }
        // Combining diacritical marks (a decomposed "Dvořák").
        '\u{0300}'..='\u{036F}' => Some(Skip),
        // ---- Latin (Doc 9303 Part 3, Latin table) ----
        'À' | 'Á' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => l(&["A"]),
        'Ä' => l(&["AE", "A", "AXX"]),
        'Å' => l(&["AA", "A", "AXX"]),
        'Æ' => l(&["AE"]),
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => l(&["C"]),
        'Ď' | 'Đ' | 'Ð' => l(&["D"]),
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => l(&["E"]),
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => l(&["G"]),
        'Ĥ' | 'Ħ' => l(&["H"]),
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => l(&["I"]),
        'Ĳ' => l(&["IJ"]),
        'Ĵ' => l(&["J"]),
        'Ķ' => l(&["K"]),
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => l(&["L"]),
        'Ñ' => l(&["N", "NXX"]),
        'Ń' | 'Ņ' | 'Ň' | 'Ŋ' => l(&["N"]),
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ŏ' | 'Ő' => l(&["O"]),
        'Ö' => l(&["OE", "O", "OXX"]),
        'Ø' | 'Œ' => l(&["OE"]),
        'Ŕ' | 'Ŗ' | 'Ř' => l(&["R"]),
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => l(&["S"]),
        'ß' | 'ẞ' => l(&["SS"]),
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => l(&["T"]),
        'Þ' => l(&["TH"]),
        'Ù' | 'Ú' | 'Û' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => l(&["U"]),
        'Ü' => l(&["UE", "U", "UXX"]),
        'Ŵ' => l(&["W"]),
        'Ý' | 'Ŷ' | 'Ÿ' => l(&["Y"]),
        'Ź' | 'Ż' | 'Ž' => l(&["Z"]),
        // ---- Cyrillic (Doc 9303 Part 3, Cyrillic table) ----
        'А' => l(&["A"]),
        'Б' => l(&["B"]),
        'В' => l(&["V"]),
        'Г' => l(&["G", "H"]),
        'Ґ' | 'Ѓ' => l(&["G"]),
        'Д' | 'Ђ' => l(&["D"]),
        'Е' | 'Ё' => l(&["E"]),
        'Є' => l(&["IE"]),
        'Ж' => l(&["ZH"]),
        'З' => l(&["Z"]),
        'Ѕ' | 'Џ' => l(&["DZ"]),
        'И' => l(&["I", "Y"]),
        'І' | 'Ї' | 'Й' => l(&["I"]),
        'Ј' => l(&["J"]),
        'К' | 'Ќ' => l(&["K"]),
        'Л' => l(&["L"]),
        'Љ' => l(&["LJ"]),
        'М' => l(&["M"]),
        'Н' => l(&["N"]),
        'Њ' => l(&["NJ"]),
        'О' => l(&["O"]),
        'П' => l(&["P"]),
        'Р' => l(&["R"]),
        'С' => l(&["S"]),
        'Т' => l(&["T"]),
        'Ћ' => l(&["C"]),
        'У' | 'Ў' => l(&["U"]),
        'Ф' => l(&["F"]),
        'Х' => l(&["KH"]),
        'Ц' => l(&["TS"]),
        'Ч' => l(&["CH"]),
        'Ш' => l(&["SH"]),
        'Щ' => l(&["SHCH"]),
        'Ъ' => l(&["IE"]),
        'Ы' => l(&["Y"]),
        'Ь' => Some(Skip),
        'Э' => l(&["E"]),
        'Ю' => l(&["IU"]),
        'Я' => l(&["IA"]),
        // ---- Greek (Doc 9303 Part 3, Greek table) ----
        'Α' | 'Ά' => l(&["A"]),
        'Β' => l(&["V"]),
        'Γ' => l(&["G"]),
        'Δ' => l(&["D"]),
        'Ε' | 'Έ' => l(&["E"]),
        'Ζ' => l(&["Z"]),
        'Η' | 'Ή' => l(&["I"]),
        'Θ' => l(&["TH"]),
        'Ι' | 'Ί' | 'Ϊ' => l(&["I"]),
        'Κ' => l(&["K"]),
        'Λ' => l(&["L"]),
        'Μ' => l(&["M"]),
        'Ν' => l(&["N"]),
        'Ξ' => l(&["X"]),
        'Ο' | 'Ό' => l(&["O"]),
        'Π' => l(&["P"]),
        'Ρ' => l(&["R"]),
        'Σ' => l(&["S"]),
        'Τ' => l(&["T"]),
        'Υ' | 'Ύ' | 'Ϋ' => l(&["Y"]),
        'Φ' => l(&["F"]),
        'Χ' => l(&["CH"]),
        'Ψ' => l(&["PS"]),
        'Ω' | 'Ώ' => l(&["O"]),
        _ => None,
    }
}

/// Greek digraphs with spellings of their own (besides letter by letter).
fn digraph(a: char, b: char) -> Option<&'static [&'static str]> {
    match (a, b) {
        ('Ο', 'Υ' | 'Ύ') => Some(&["OU"]),
        ('Α', 'Υ' | 'Ύ') => Some(&["AV", "AF"]),
        ('Ε', 'Υ' | 'Ύ') => Some(&["EV", "EF"]),
        ('Μ', 'Π') => Some(&["B"]),
        ('Γ', 'Γ') => Some(&["NG"]),
        _ => None,
    }
}

/// The name in uppercase (`ß` kept: its uppercase is two letters).
fn upper(s: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in s.chars() {
        if c == 'ß' {
            out.push(c);
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out
}

/// Doc 9303's recommended transliteration of `s`: uppercase `A`–`Z`, name components separated
/// by one space; `None` when a character is not in the tables.
pub fn transliterate(s: &str) -> Option<String> {
    let chars = upper(s);
    let mut out = String::new();
    let mut pending_space = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if let Some(alts) = next.and_then(|n| digraph(c, n)) {
            // Digraphs' recommended spellings are their first ones (ΟΥ → OU).
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(alts.first().copied().unwrap_or(""));
            i += 2;
            continue;
        }
        match unit(c)? {
            Unit::Skip => pending_space |= !matches!(c, '\u{0300}'..='\u{036F}' | 'Ь' | '\'' | '\u{2019}'),
            Unit::Letters(alts) => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push_str(alts.first().copied().unwrap_or(""));
            }
        }
        i += 1;
    }
    Some(out)
}

/// The letters of a name read from a chip (MRZ or DG11), `A`–`Z` only: the filler `<` and other
/// separators dropped; a DG11 name in national characters transliterated with the recommended
/// spellings; characters outside the tables dropped.
pub fn chip_key(chip: &str) -> String {
    let chars = upper(chip);
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if let Some(alts) = chars.get(i + 1).and_then(|&n| digraph(c, n)) {
            out.push_str(alts.first().copied().unwrap_or(""));
            i += 2;
            continue;
        }
        if let Some(Unit::Letters(alts)) = unit(c) {
            out.push_str(alts.first().copied().unwrap_or(""));
        }
        i += 1;
    }
    out
}

/// Whether a supplied name (any Unicode) can be written as the chip's name under Doc 9303
/// Part 3: some choice of the accepted spellings of its characters gives exactly the chip's
/// letters (separators ignored on both sides).
///
/// Never a match: an empty chip name, a supplied name with no letter (blank, only separators),
/// a supplied character outside the tables, a supplied name over [`MAX_NAME_CHARS`].
pub fn name_matches(supplied: &str, chip: &str) -> bool {
    if supplied.chars().count() > MAX_NAME_CHARS {
        return false;
    }
    let target = chip_key(chip);
    let target = target.as_bytes();
    if target.is_empty() {
        return false;
    }
    let chars = upper(supplied);
    let n = chars.len();
    // No character is written with more than 4 letters (Щ → SHCH): a longer chip name cannot
    // match, and the table below stays small whatever the chip sent.
    if target.len() > n.saturating_mul(4) {
        return false;
    }
    // reach[i][j]: the first i characters of the supplied name can be written as the first j
    // letters of the chip's name.
    let m = target.len();
    let mut reach = vec![vec![false; m + 1]; n + 1];
    let mut letters = false;
    if let Some(r) = reach.get_mut(0).and_then(|r| r.get_mut(0)) {
        *r = true;
    }
    for i in 0..n {
        let Some(&c) = chars.get(i) else { break };
        // Steps from position i: (characters consumed, spellings).
        let mut steps: Vec<(usize, &'static [&'static str])> = Vec::with_capacity(2);
        match unit(c) {
            None => return false,
            Some(Unit::Skip) => steps.push((1, &[""])),
            Some(Unit::Letters(alts)) => {
                letters = true;
                steps.push((1, alts));
            }
        }
        if let Some(alts) = chars.get(i + 1).and_then(|&nx| digraph(c, nx)) {
            steps.push((2, alts));
        }
        for j in 0..=m {
            if !reach.get(i).and_then(|r| r.get(j)).copied().unwrap_or(false) {
                continue;
            }
            for &(consumed, alts) in &steps {
                for alt in alts {
                    let end = j + alt.len();
                    if target.get(j..end) == Some(alt.as_bytes())
                        && let Some(cell) = reach.get_mut(i + consumed).and_then(|r| r.get_mut(end))
                    {
                        *cell = true;
                    }
                }
            }
        }
    }
    letters && reach.get(n).and_then(|r| r.get(m)).copied().unwrap_or(false)
}

/// An identifier (personal or document number) for comparison: letters and digits only,
/// uppercase (separators such as spaces, `-`, `/`, `.` and the filler `<` dropped).
pub fn id_key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whether a supplied identifier equals the chip's, separators ignored; one with no letter or
/// digit never matches.
pub fn ids_match(supplied: &str, chip: &str) -> bool {
    let s = id_key(supplied);
    !s.is_empty() && s == id_key(chip)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Doc 9303 Part 3 Latin table: character → recommended transliteration.
    const LATIN: &[(&str, &str)] = &[
        ("À", "A"),
        ("Á", "A"),
        ("Â", "A"),
        ("Ã", "A"),
        ("Ä", "AE"),
        ("Å", "AA"),
        ("Æ", "AE"),
        ("Ç", "C"),
        ("È", "E"),
        ("É", "E"),
        ("Ê", "E"),
        ("Ë", "E"),
        ("Ì", "I"),
        ("Í", "I"),
        ("Î", "I"),
        ("Ï", "I"),
        ("Ð", "D"),
        ("Ñ", "N"),
        ("Ò", "O"),
        ("Ó", "O"),
        ("Ô", "O"),
        ("Õ", "O"),
        ("Ö", "OE"),
        ("Ø", "OE"),
        ("Ù", "U"),
        ("Ú", "U"),
        ("Û", "U"),
        ("Ü", "UE"),
        ("Ý", "Y"),
        ("Þ", "TH"),
        ("ß", "SS"),
        ("Ā", "A"),
        ("Ă", "A"),
        ("Ą", "A"),
        ("Ć", "C"),
        ("Ĉ", "C"),
        ("Ċ", "C"),
        ("Č", "C"),
        ("Ď", "D"),
        ("Đ", "D"),
        ("Ē", "E"),
        ("Ĕ", "E"),
        ("Ė", "E"),
        ("Ę", "E"),
        ("Ě", "E"),
        ("Ĝ", "G"),
        ("Ğ", "G"),
        ("Ġ", "G"),
        ("Ģ", "G"),
        ("Ĥ", "H"),
        ("Ħ", "H"),
        ("Ĩ", "I"),
        ("Ī", "I"),
        ("Ĭ", "I"),
        ("Į", "I"),
        ("İ", "I"),
        ("ı", "I"),
        ("Ĳ", "IJ"),
        ("Ĵ", "J"),
        ("Ķ", "K"),
        ("Ĺ", "L"),
        ("Ļ", "L"),
        ("Ľ", "L"),
        ("Ŀ", "L"),
        ("Ł", "L"),
        ("Ń", "N"),
        ("Ņ", "N"),
        ("Ň", "N"),
        ("Ŋ", "N"),
        ("Ō", "O"),
        ("Ŏ", "O"),
        ("Ő", "O"),
        ("Œ", "OE"),
        ("Ŕ", "R"),
        ("Ŗ", "R"),
        ("Ř", "R"),
        ("Ś", "S"),
        ("Ŝ", "S"),
        ("Ş", "S"),
        ("Š", "S"),
        ("Ţ", "T"),
        ("Ť", "T"),
        ("Ŧ", "T"),
        ("Ũ", "U"),
        ("Ū", "U"),
        ("Ŭ", "U"),
        ("Ů", "U"),
        ("Ű", "U"),
        ("Ų", "U"),
        ("Ŵ", "W"),
        ("Ŷ", "Y"),
        ("Ÿ", "Y"),
        ("Ź", "Z"),
        ("Ż", "Z"),
        ("Ž", "Z"),
    ];

    /// Doc 9303 Part 3 Cyrillic table.
    const CYRILLIC: &[(&str, &str)] = &[
        ("А", "A"),
        ("Б", "B"),
        ("В", "V"),
        ("Г", "G"),
        ("Ѓ", "G"),
        ("Ґ", "G"),
        ("Д", "D"),
        ("Ђ", "D"),
        ("Е", "E"),
        ("Ё", "E"),
        ("Є", "IE"),
        ("Ж", "ZH"),
        ("З", "Z"),
        ("Ѕ", "DZ"),
        ("И", "I"),
        ("І", "I"),
        ("Ї", "I"),
        ("Й", "I"),
        ("Ј", "J"),
        ("К", "K"),
        ("Ќ", "K"),
        ("Л", "L"),
        ("Љ", "LJ"),
        ("М", "M"),
        ("Н", "N"),
        ("Њ", "NJ"),
        ("О", "O"),
        ("П", "P"),
        ("Р", "R"),
        ("С", "S"),
        ("Т", "T"),
        ("Ћ", "C"),
        ("У", "U"),
        ("Ў", "U"),
        ("Ф", "F"),
        ("Х", "KH"),
        ("Ц", "TS"),
        ("Ч", "CH"),
        ("Џ", "DZ"),
        ("Ш", "SH"),
        ("Щ", "SHCH"),
        ("Ъ", "IE"),
        ("Ы", "Y"),
        ("Ь", ""),
        ("Э", "E"),
        ("Ю", "IU"),
        ("Я", "IA"),
    ];

    /// Doc 9303 Part 3 Greek table.
    const GREEK: &[(&str, &str)] = &[
        ("Α", "A"),
        ("Ά", "A"),
        ("Β", "V"),
        ("Γ", "G"),
        ("Δ", "D"),
        ("Ε", "E"),
        ("Έ", "E"),
        ("Ζ", "Z"),
        ("Η", "I"),
        ("Ή", "I"),
        ("Θ", "TH"),
        ("Ι", "I"),
        ("Ί", "I"),
        ("Ϊ", "I"),
        ("Κ", "K"),
        ("Λ", "L"),
        ("Μ", "M"),
        ("Ν", "N"),
        ("Ξ", "X"),
        ("Ο", "O"),
        ("Ό", "O"),
        ("Π", "P"),
        ("Ρ", "R"),
        ("Σ", "S"),
        ("ς", "S"),
        ("Τ", "T"),
        ("Υ", "Y"),
        ("Ύ", "Y"),
        ("Ϋ", "Y"),
        ("Φ", "F"),
        ("Χ", "CH"),
        ("Ψ", "PS"),
        ("Ω", "O"),
        ("Ώ", "O"),
    ];

    #[test]
    fn part3_tables_recommended_spelling() {
        for (table, rows) in [("Latin", LATIN), ("Cyrillic", CYRILLIC), ("Greek", GREEK)] {
            for &(c, want) in rows {
                assert_eq!(transliterate(c).as_deref(), Some(want), "{table} {c}");
                // Lowercase letters transliterate alike.
                let lower = c.to_lowercase();
                assert_eq!(transliterate(&lower).as_deref(), Some(want), "{table} {lower}");
                // Every row matches the chip spelling, next to other letters.
                if !want.is_empty() {
                    assert!(name_matches(&format!("X{c}X"), &format!("X{want}X")), "{table} {c}");
                }
            }
        }
    }

    /// (supplied, chip, matches)
    const MATCHES: &[(&str, &str, bool)] = &[
        ("Dvořák", "DVORAK", true),
        ("Dvor\u{30C}a\u{301}k", "DVORAK", true),
        ("Müller", "MUELLER", true),
        ("Müller", "MULLER", true),
        ("Müller", "MUXXLLER", true),
        ("MÜLLER", "MUELLER", true),
        ("Muller", "MUELLER", false),
        ("Muller", "MILLER", false),
        ("Müller", "MILLER", false),
        ("Gößmann", "GOESSMANN", true),
        ("Gößmann", "GOSSMANN", true),
        ("Søren", "SOEREN", true),
        ("Søren", "SOREN", false),
        ("Ærøe", "AEROEE", true),
        ("Þórsdóttir", "THORSDOTTIR", true),
        ("Ångström", "AANGSTROEM", true),
        ("Ångström", "ANGSTROM", true),
        ("Peña", "PENA", true),
        ("Anna-Lena", "ANNA<LENA", true),
        ("Anna-Lena", "ANNA LENA", true),
        ("O'Brien", "OBRIEN", true),
        ("van der Berg", "VAN<DER<BERG", true),
        ("Anna", "ANNE", false),
        ("Łukasz", "LUKASZ", true),
        ("Ștefan", "STEFAN", true),
        // Cyrillic: Russian (Doc 9303 since 2013), Ukrainian (Г → H, И → Y), Serbian.
        ("Иванов", "IVANOV", true),
        ("Щукин", "SHCHUKIN", true),
        ("Юлия", "IULIIA", true),
        ("Наталья", "NATALIA", true),
        ("Григорій", "HRYHORII", true),
        ("Григорій", "GRIGORII", true),
        ("Đoković", "DOKOVIC", true),
        ("Ђоковић", "DOKOVIC", true),
        ("Иванов", "IVANOVA", false),
        // Greek.
        ("Παπαδόπουλος", "PAPADOPOULOS", true),
        ("Παπαδόπουλος", "PAPADOPOYLOS", true),
        ("Ευάγγελος", "EVANGELOS", true),
        ("Ευάγγελος", "EVAGGELOS", true),
        ("Χρήστος", "CHRISTOS", true),
        ("Ψαρράς", "PSARRAS", true),
        ("Θεοδώρου", "THEODOROU", true),
        // Never a match: nothing to compare, or characters outside the tables.
        ("", "SMITH", false),
        ("   ", "SMITH", false),
        ("-'<", "SMITH", false),
        ("李", "LI", false),
        ("Smith", "", false),
        ("Smith", "<<<", false),
    ];

    #[test]
    fn names_match_after_transliteration() {
        for &(supplied, chip, want) in MATCHES {
            assert_eq!(name_matches(supplied, chip), want, "{supplied:?} vs {chip:?}");
        }
    }

    #[test]
    fn chip_side_filler_and_national_characters() {
        assert_eq!(chip_key("MUSTERFRAU<<ERIKA<ANNA"), "MUSTERFRAUERIKAANNA");
        assert_eq!(chip_key("Müller"), "MUELLER");
        assert_eq!(chip_key("ИВАНОВ"), "IVANOV");
        assert_eq!(transliterate("Anna-Lena  O'Brien").as_deref(), Some("ANNA LENA OBRIEN"));
        assert_eq!(transliterate("李"), None);
    }

    #[test]
    fn long_names_never_match() {
        let long = "A".repeat(MAX_NAME_CHARS + 1);
        assert!(!name_matches(&long, &long));
        let ok = "A".repeat(MAX_NAME_CHARS);
        assert!(name_matches(&ok, &ok));
        // A huge chip name is refused before any table is built.
        assert!(!name_matches("Smith", &"SMITH".repeat(1_000_000)));
        assert!(name_matches("Щ", "SHCH"));
    }

    #[test]
    fn identifiers_without_separators() {
        for (supplied, chip, want) in [
            ("123-456-789", "123456789", true),
            ("123 456 789", "123456789", true),
            ("c01x00t47", "C01X00T47", true),
            ("C01 X00 T47", "C01X00T47<", true),
            ("123456780", "123456789", false),
            ("---", "", false),
            ("", "", false),
        ] {
            assert_eq!(ids_match(supplied, chip), want, "{supplied:?} vs {chip:?}");
        }
    }
}
