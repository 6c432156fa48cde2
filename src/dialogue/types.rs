//! The engine's data: the [`Session`] it keeps per user, what comes in ([`Event`]),
//! what goes out ([`Outcome`]: replies and [`Effect`]s, with [`Answered`] for
//! measurement), what the store tells it ([`UserView`]) and its [`Settings`].

// The engine's names (types, imports, helpers) are the parent module's.
#[allow(unused_imports)]
use super::*;

/// The version of [`Session`]'s stored form. A stored session of another version is
/// replaced by a fresh one (with a polite word) instead of being misread.
pub const SESSION_VERSION: u32 = 1;

/// What the engine remembers about one user between messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    pub lang: Lang,
    /// The user chose `lang` with `/lingua`: Telegram's language code no longer sets it.
    #[serde(default)]
    pub lang_chosen: bool,
    pub state: State,
    /// The call in focus: the one the conversation is about (named in a message, the call
    /// of the last answer, or of a check in progress or just finished). Follow-ups that
    /// name no call are answered for it.
    pub topic: Option<CallId>,
    /// When the user last wrote (for idle expiry).
    pub last_seen: Option<Timestamp>,
    /// The last question searched, so that "talk to a person" can hand it over and a
    /// follow-up (`e per alfa?`) can ask it again.
    #[serde(default)]
    pub last_question: Option<String>,
    /// The question `last_question` followed up on, when it was a short follow-up (`e il
    /// minimo?`): its context, kept for the next follow-up or a re-ask for another call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_up: Option<String>,
    /// The entry the last answer gave (directly or chosen with a button): a re-ask for
    /// another call (`e per alfa?`) looks for that call's counterpart of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answer: Option<String>,
    /// What the user said about themselves (size, place, partners…): used in answers and
    /// to prefill the eligibility check; shown in `/privacy`, erased by `/cancellami`.
    #[serde(default, skip_serializing_if = "Profile::is_empty")]
    pub profile: Profile,
    /// The check the user finished last (questionnaire and answers): a ticket carries its
    /// answers; erased by `/cancellami` with the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<FinishedCheck>,
}

/// A finished eligibility check, as the user answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedCheck {
    pub questionnaire: String,
    pub answers: crate::eligibility::Answers,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            version: SESSION_VERSION,
            lang: Lang::It,
            lang_chosen: false,
            state: State::Idle,
            topic: None,
            last_seen: None,
            last_question: None,
            last_answer: None,
            follows_up: None,
            profile: Profile::default(),
            last_check: None,
        }
    }
}

/// Where the user is in a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum State {
    /// No open question: free text is a question for search.
    #[default]
    Idle,
    /// `/cancellami` asked for confirmation.
    ConfirmErase,
    /// In an eligibility dialogue (`/verifica`).
    Eligibility(Progress),
    /// `/operatore` without a question: the next text is handed over to a person.
    HandOver,
}

/// Who sent an event (adapters fill it; the engine uses only what it needs for replies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct From {
    pub display_name: String,
}

/// Something the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message. Commands are messages starting with `/`.
    Text(String),
    /// A button press with the button's data.
    Button(String),
}

/// Side effects the adapter must carry out (the engine itself does no I/O).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Delete everything stored about this user.
    EraseUser,
    /// A question was asked (for the help desk's statistics, and for measuring answers).
    Asked {
        question: String,
        best: Option<String>,
        confident: bool,
        /// What the engine did with it, as data.
        answer: Answered,
    },
    /// Follow `call`'s deadline `deadline` (the adapter stores the subscription and
    /// queues its reminders).
    Subscribe { call: CallId, deadline: DeadlineAt },
    /// Stop the reminders of `call`, or of every call with `None`.
    Unsubscribe { call: Option<CallId> },
    /// Follow `call`; `facts` is what the user was told of it now (later loads compare
    /// the knowledge with it).
    Follow {
        call: CallId,
        facts: crate::follow::CallFacts,
        /// A check result to keep with it («💾 Tieni il risultato»).
        verdict: Option<crate::follow::KeptVerdict>,
    },
    /// Stop following `call`, or every call with `None`.
    Unfollow { call: Option<CallId> },
    /// The user asked to be told of new calls that fit their profile (the tap is the
    /// consent): keep these answers to the profile questionnaire; `seen` are the calls
    /// of the pack now (only calls added later are new).
    ProfileAlert {
        questionnaire: String,
        answers: crate::eligibility::Answers,
        seen: Vec<CallId>,
    },
    /// Stop profile alerts and forget the profile.
    ProfileAlertStop,
    /// Send an official document's file as a document message (the engine cannot read
    /// files; the app reads it and adds the reply, or says politely that it cannot).
    SendDocument {
        file: std::path::PathBuf,
        file_name: String,
        caption: Rich,
    },
    /// Open a help-desk ticket with this question (the app numbers it, posts it to the
    /// staff group and tells the user).
    HandOver {
        question: String,
        /// Eligibility answers given so far: (question label, answer).
        answers: Vec<(String, String)>,
        /// The call in focus (or of the check), for staff.
        call: Option<CallId>,
    },
    /// Add the user's message to their open ticket.
    FollowUp { ticket: u64, text: String },
    /// The user withdrew their open ticket.
    Withdraw { ticket: u64 },
    /// An eligibility check began (for the metrics; nothing to store).
    CheckStarted { questionnaire: String },
    /// An eligibility check reached its final message: the verdict on a call, or `None`
    /// for «Quali bandi fanno per me?» (for the metrics; nothing to store).
    CheckFinished {
        questionnaire: String,
        verdict: Option<crate::eligibility::Verdict>,
    },
}

/// What the engine did with a question: the kind of answer and the entries it rests on,
/// so that tests and statistics measure behaviour without reading rendered text.
#[derive(Debug, Clone, PartialEq)]
pub enum Answered {
    /// One entry answered directly, for `call`; `also`: runners-up offered under it;
    /// `lines`: entries of other calls summed up in one line each; `second`: the answer
    /// to the second thing a question asked, given after it.
    Direct {
        entry: String,
        call: Option<CallId>,
        also: Vec<String>,
        lines: Vec<String>,
        second: Option<String>,
    },
    /// A choice between entries that answer different questions.
    Menu { entries: Vec<String> },
    /// "Quale bando?": the question has a different answer for each of these calls.
    WhichCall {
        calls: Vec<CallId>,
        entries: Vec<String>,
    },
    /// A request written as text, led where the command leads (`che bandi ci sono` →
    /// `bandi`).
    Routed { command: String },
    /// Nothing fits.
    Nothing,
}

impl Answered {
    /// The entries considered, the answer first (for hit@k).
    pub fn ranked(&self) -> Vec<&str> {
        match self {
            Answered::Direct { entry, also, .. } => std::iter::once(entry.as_str())
                .chain(also.iter().map(String::as_str))
                .collect(),
            Answered::Menu { entries } | Answered::WhichCall { entries, .. } => {
                entries.iter().map(String::as_str).collect()
            }
            Answered::Routed { .. } | Answered::Nothing => Vec::new(),
        }
    }
}

/// What the store knows about the user that a reply may need (loaded by the app; the
/// engine never reads the store).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserView {
    pub subscriptions: Vec<Subscription>,
    /// The calls the user follows («🔔 Avvisami»).
    pub follows: Vec<CallId>,
    /// The user asked for profile alerts (their profile is kept for them).
    pub profile_alert: bool,
    /// The open ticket the user's messages go to (see `helpdesk::Ticket::takes_follow_ups`).
    pub ticket: Option<u64>,
    /// The user's tickets (number, status), for `/privacy`.
    pub tickets: Vec<(u64, crate::store::tickets::Status)>,
}

/// What the engine decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub session: Session,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
}

/// Settings the engine needs (from `config.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Sessions idle longer than this are removed (stated in `/privacy`).
    pub session_idle_days: u32,
    /// How the help desk can be reached besides the bot (free text, may be empty).
    pub helpdesk_contact: String,
    /// When reminders go out before a deadline (also the alarms of calendar files).
    pub reminder_offsets: Vec<Offset>,
    /// The help desk's staff (a staff group makes hand-over possible).
    pub staff: crate::desk_settings::Staff,
    /// Who approves a FAQ written from the chat (`[helpdesk] review`).
    pub review: crate::desk_settings::Review,
    /// Where FAQs written from the chat go (`[helpdesk] faq_file`).
    pub faq_file: crate::desk_settings::FaqFile,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_days: 30,
            helpdesk_contact: String::new(),
            reminder_offsets: Offset::defaults(),
            staff: crate::desk_settings::Staff::default(),
            review: crate::desk_settings::Review::default(),
            faq_file: crate::desk_settings::FaqFile::default(),
        }
    }
}
