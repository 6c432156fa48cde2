//! The Italian words of the Italian index's analysis (see [`super::analysis`]): the stop
//! list, folded, and the question words kept out of it. The pipeline, folding, typo
//! tolerance and the synonyms' handling are shared with English.

/// Question words kept out of the stop list (they tell questions apart).
pub(super) const QUESTION_WORDS: &str = "chi quando quanto quanti quanta quante dove come perche";

/// Italian stop words (Snowball list, as shipped by tantivy), accents folded. Question words
/// that tell questions apart (chi, quando, quanto, dove, come, perché) are kept searchable.
const STOP_WORDS: &str = "\
    a abbia abbiamo abbiano abbiate ad agl agli ai al all alla alle allo anche avemmo avendo \
    avesse avessero avessi avessimo aveste avesti avete aveva avevamo avevano avevate avevi \
    avevo avra avrai avranno avrebbe avrebbero avrei avremmo avremo avreste avresti avrete \
    avro avuta avute avuti avuto c che ci coi col con contro cui da dagl dagli dai dal dall \
    dalla dalle dallo degl degli dei del dell della delle dello di dov e ebbe ebbero ebbi ed \
    era erano eravamo eravate eri ero essendo faccia facciamo facciano facciate faccio \
    facemmo facendo facesse facessero facessi facessimo faceste facesti faceva facevamo \
    facevano facevate facevi facevo fai fanno fara farai faranno farebbe farebbero farei \
    faremmo faremo fareste faresti farete faro fece fecero feci fosse fossero fossi fossimo \
    foste fosti fu fui fummo furono gli ha hai hanno ho i il in io l la le lei li lo loro \
    lui ma mi mia mie miei mio ne negl negli nei nel nell nella nelle nello noi non nostra \
    nostre nostri nostro o per piu quale quella quelle quelli quello questa queste questi \
    questo sara sarai saranno sarebbe sarebbero sarei saremmo saremo sareste saresti sarete \
    saro se sei si sia siamo siano siate siete sono sta stai stando stanno stara starai \
    staranno starebbe starebbero starei staremmo staremo stareste staresti starete staro \
    stava stavamo stavano stavate stavi stavo stemmo stesse stessero stessi stessimo steste \
    stesti stette stettero stetti stia stiamo stiano stiate sto su sua sue sugl sugli sui \
    sul sull sulla sulle sullo suo suoi ti tra tu tua tue tuo tuoi tutti tutto un una uno vi \
    voi vostra vostre vostri vostro";

/// The stop list of the Italian analysis (folded).
pub(super) fn stop_words() -> Vec<String> {
    let mut words: Vec<String> = STOP_WORDS.split_whitespace().map(String::from).collect();
    // Politeness and filler words of questions put to a bot, and the English function
    // words of the few questions asked in English.
    words.extend(EXTRA_STOP_WORDS.split_whitespace().map(String::from));
    words
}

const EXTRA_STOP_WORDS: &str = "cosa cos vuol vuole dire significa significato spiegami posso puo possono \
    vorrei vorremmo volevamo vogliamo voglio sapere sapete ditemi spiegate spiegatemi spiegarmi \
    parlatemi illustrate illustrami possiamo potremmo potrei \
    potrebbe potrebbero potremo potete ciao salve favore \
    grazie buongiorno buonasera qual quali spiegato spiegata semplice semplici semplicemente fa fare fatto fatta fatti fatte parlami parlarmi dimmi dirmi raccontami informazioni info \
    qualcosa qualcuno ciao raga ragazzi tipo boh comunque allora quindi invece praticamente \
    breve brevemente sintesi esattamente precisamente davvero veramente capisco capito \
    preciso precisa esatto esatta capire significhi significano visto letto sentito \
    giusto vero previste previsti prevista previsto qualche circa quasi dentro \
    dobbiamo dovremmo vorrebbero vogliono piacerebbe molti molto quel niente farlo simile \
    chiesto chiesta informarmi informarci informarsi titolare esiste esistono esisteva \
    scusa scusate gentilmente sai sapete saprebbe sapreste chiedo chiedere volevo vorremmo \
    far poi magari possibile possibili zona ricordo ricordare ricordavo vagamente corretto corretta \
    confermare confermarmi confermi vorrebbe andrebbe alcuni alcune troppo troppa troppi oppure ciascuno ciascuna \
    quest deciso decisa decidere detto detta \
    chiede chiedono chiedeva chiedevano presidente estate stare laboratorio posto sanno lasciare \
    lasciato molte perso persi spesso mente gente lontano inverno intero busta tanta voglia forte \
    corto fondazione venti \
    the is are was were be of to an and or in on for with what which can \
    could do does did how my we our it this that there you your me";
