//! What a column header may say, in each language an import's headers may be written in.
//!
//! HubSpot's import asks for "the language of your column headers" and maps columns by
//! "header, header language and property name"; this table is that knowledge for English,
//! French and Danish. Headers are compared by their letters and digits only, lowercased and
//! without accents, so "E-mail", "email" and "EMAIL " are one name, and "Prénom" is "prenom".
//! Contact properties carry HubSpot's internal names (`firstname`, `jobtitle`, …) so a contact
//! imported here reads as HubSpot would show it.

use std::str::FromStr;

/// The language of a file's column headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// English.
    En,
    /// French.
    Fr,
    /// Danish.
    Da,
}

impl FromStr for Language {
    type Err = String;

    /// Reads `en`, `fr`, `da` (any case, a region such as `fr-CA` ignored).
    fn from_str(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        match lower.split(['-', '_']).next().unwrap_or_default() {
            "en" => Ok(Language::En),
            "fr" => Ok(Language::Fr),
            "da" => Ok(Language::Da),
            _ => Err(format!(
                "\"{text}\" is not a header language; use en, fr or da"
            )),
        }
    }
}

/// Contact properties an import may fill: HubSpot's internal name and English label.
pub const CONTACT_PROPERTIES: &[(&str, &str)] = &[
    ("firstname", "First name"),
    ("lastname", "Last name"),
    ("phone", "Phone number"),
    ("mobilephone", "Mobile phone number"),
    ("company", "Company name"),
    ("jobtitle", "Job title"),
    ("website", "Website URL"),
    ("address", "Street address"),
    ("city", "City"),
    ("state", "State/Region"),
    ("zip", "Postal code"),
    ("country", "Country/Region"),
];

/// Header names of one language.
type Names = &'static [&'static str];

/// What a header may say, per language, for each target. Email and "occurred at" first: they
/// are looked for before anything else.
pub(super) const EMAIL: &str = "email";
pub(super) const OCCURRED_AT: &str = "occurred_at";
#[rustfmt::skip]
const ALIASES: &[(&str, Names, Names, Names)] = &[
    // (target, English, French, Danish)
    (EMAIL,
        &["Email", "E-mail", "Email address", "E-mail address", "Mail"],
        &["E-mail", "Adresse e-mail", "Adresse email", "Courriel", "Adresse courriel", "Mail"],
        &["E-mail", "E-mailadresse", "E-mail-adresse", "Mailadresse", "Mail"]),
    (OCCURRED_AT,
        &["Occurred at", "Occurred", "Date", "Event date", "Timestamp", "Date time", "Time"],
        &["Date", "Survenu le", "Survenu à", "S'est produit le", "Date de l'événement",
          "Horodatage", "Date et heure"],
        &["Dato", "Opstået ved", "Opstået", "Tidspunkt", "Tidsstempel", "Dato og tid",
          "Begivenhedsdato"]),
    ("firstname", &["First name", "Firstname", "Given name", "Forename"],
        &["Prénom"], &["Fornavn"]),
    ("lastname", &["Last name", "Lastname", "Surname", "Family name"],
        &["Nom", "Nom de famille"], &["Efternavn"]),
    ("phone", &["Phone", "Phone number", "Telephone"],
        &["Téléphone", "Numéro de téléphone", "Tél"], &["Telefon", "Telefonnummer", "Tlf"]),
    ("mobilephone", &["Mobile", "Mobile phone", "Mobile phone number", "Cell phone"],
        &["Mobile", "Portable", "Téléphone portable", "Téléphone mobile"],
        &["Mobil", "Mobiltelefon", "Mobilnummer"]),
    ("company", &["Company", "Company name", "Organization", "Organisation"],
        &["Entreprise", "Société", "Nom de l'entreprise"],
        &["Virksomhed", "Firma", "Virksomhedsnavn"]),
    ("jobtitle", &["Job title", "Title", "Position"],
        &["Intitulé du poste", "Poste", "Fonction"], &["Jobtitel", "Stilling", "Titel"]),
    ("website", &["Website", "Website URL", "Web site"],
        &["Site web", "Site internet"], &["Websted", "Hjemmeside", "Website"]),
    ("address", &["Address", "Street address"],
        &["Adresse", "Adresse postale"], &["Adresse", "Vejnavn"]),
    ("city", &["City", "Town"], &["Ville"], &["By"]),
    ("state", &["State", "State/Region", "Region"],
        &["Région", "État/Région", "Département"], &["Region", "Landsdel"]),
    ("zip", &["Zip", "Zip code", "Postal code", "Postcode"],
        &["Code postal"], &["Postnummer", "Postnr"]),
    ("country", &["Country", "Country/Region"], &["Pays"], &["Land"]),
];

/// A header as matching sees it: letters and digits only, lowercased, accents removed
/// (`"Adresse e-mail"` → `adresseemail`, `"Prénom"` → `prenom`, `"Beløb"` → `belob`).
pub fn normalize(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Some(folded) => out.push_str(folded),
            None if c.is_alphanumeric() => out.push(c),
            None => {}
        }
    }
    out
}

/// The Latin letters with diacritics French and Danish (and their neighbours) write, as the
/// ASCII a keyboard without them would type.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' => "a",
        'å' => "aa",
        'æ' => "ae",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        _ => return None,
    })
}

pub(super) fn alias_target(
    normalized: &str,
    language: Language,
    english_too: bool,
) -> Option<&'static str> {
    ALIASES.iter().find_map(|(target, en, fr, da)| {
        let own: &[&str] = match language {
            Language::En => en,
            Language::Fr => fr,
            Language::Da => da,
        };
        let mut names = own.iter().chain(if english_too { *en } else { &[][..] });
        names
            .any(|alias| normalize(alias) == normalized)
            .then_some(*target)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_without_case_accents_or_punctuation() {
        assert_eq!(normalize("Adresse e-mail"), "adresseemail");
        assert_eq!(normalize("  PRÉNOM "), "prenom");
        assert_eq!(normalize("Beløb (DKK)"), "belobdkk");
        assert_eq!(normalize("E_mail"), normalize("e-mail"));
    }

    #[test]
    fn every_language_names_the_required_columns() {
        for language in [Language::En, Language::Fr, Language::Da] {
            assert_eq!(alias_target("email", language, false), Some(EMAIL));
            assert!(ALIASES
                .iter()
                .all(|(_, en, fr, da)| { !en.is_empty() && !fr.is_empty() && !da.is_empty() }));
        }
        assert_eq!(alias_target("dato", Language::Da, false), Some(OCCURRED_AT));
        assert_eq!(alias_target("dato", Language::Fr, true), None);
    }

    #[test]
    fn languages_read_from_codes() {
        assert_eq!("fr".parse(), Ok(Language::Fr));
        assert_eq!("da-DK".parse(), Ok(Language::Da));
        assert_eq!("EN".parse(), Ok(Language::En));
        assert!("de".parse::<Language>().is_err());
    }
}
