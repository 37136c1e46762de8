//! Proxy passwords that must never show, for the tests of redaction: a part of the facade's
//! test support, and included by the integration suite's support too (`#[path]`: the two
//! crates share no test-only dependency).

/// Proxy passwords whose pieces (`Xq7`, `Zw9`, ...) must never show in any output: each with
/// one of the characters that end an authority or a userinfo, or start an escape, unencoded and
/// percent-encoded, and all of them at once.
pub fn awkward_passwords() -> Vec<String> {
    let mut passwords: Vec<String> = ["/", "?", "#", "@", "%"].iter().map(|c| format!("Xq7{c}Zw9")).collect();
    passwords.extend(["%2F", "%3F", "%23", "%40", "%25"].iter().map(|c| format!("Xq7{c}Zw9")));
    passwords.push("Xq7/Zw9?Kp3#Lm5@Rt8%Vb2".into());
    passwords.push("Xq7%2FZw9%3FKp3%23Lm5%40Rt8%25Vb2".into());
    passwords
}

/// Whether `password` is percent-encoded throughout: a URL carries it as it is.
pub fn is_encoded(password: &str) -> bool {
    !password.contains(['/', '?', '#', '@']) && !password.contains("%Z") && !password.contains("%V")
}

/// Whether any piece of an [`awkward_passwords`] password shows in `text`.
pub fn shows_a_password_piece(text: &str) -> bool {
    ["Xq7", "Zw9", "Kp3", "Lm5", "Rt8", "Vb2"].iter().any(|piece| text.contains(piece))
}
