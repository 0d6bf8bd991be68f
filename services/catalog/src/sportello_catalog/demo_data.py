"""The demo catalog: a believable Italian studio selling services (data only; demo.py loads it).

Prices are net of VAT, in cents. VAT: 22 % (ordinaria) for most services; 0 for training given
as an accredited body (esente art. 10 n. 20 DPR 633/72).
"""

from __future__ import annotations

from typing import Any

from sportello.contracts.forms import FormDefinition

from sportello_catalog.domain import ServiceContent

IVA_22 = 2200
ESENTE = 0
ACCREDITED_TRAINING = "art10_n20"


def opt(value: str, label: str, price: int = 0, percent: int = 0) -> dict[str, Any]:
    return {"value": value, "label": label, "price_cents": price, "percent_bp": percent}


def choice(name: str, label: str, options: list[dict], *, kind: str = "radio", required: bool = True,
           help: str | None = None) -> dict[str, Any]:
    return {"name": name, "label": label, "type": kind, "required": required, "options": options,
            "help": help}


def number(name: str, label: str, lo: int, hi: int, *, unit: int | None = None, step: int | None = None,
           required: bool = True, help: str | None = None) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "number", "required": required, "min": lo, "max": hi,
            "step": step, "unit_price_cents": unit, "help": help}


def check(name: str, label: str, *, price: int | None = None, percent: int | None = None,
          help: str | None = None) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "checkbox", "required": False, "price_cents": price,
            "percent_bp": percent, "help": help}


def text(name: str, label: str, *, kind: str = "text", required: bool = False, max_length: int | None = None,
         help: str | None = None, placeholder: str | None = None) -> dict[str, Any]:
    return {"name": name, "label": label, "type": kind, "required": required, "max_length": max_length,
            "help": help, "placeholder": placeholder}


PDF_AND_SCANS = ["application/pdf", "image/jpeg", "image/png"]
DOCUMENTS = [*PDF_AND_SCANS,
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "application/vnd.oasis.opendocument.text", "text/plain"]


def files(name: str, label: str, accept: list[str], *, max_files: int = 5, max_size_mb: int = 20,
          required: bool = False, help: str | None = None) -> dict[str, Any]:
    # Optional in the demo: a customer may also send the documents after ordering.
    return {"name": name, "label": label, "type": "file", "required": required, "accept": accept,
            "max_files": max_files, "max_size_mb": max_size_mb, "help": help}


def urgent(label: str = "Consegna urgente (+30 %)") -> dict[str, Any]:
    return check("urgente", label, percent=3000, help="Lavorazione prioritaria entro 48 ore lavorative.")


NOTE = text("note", "Note per il nostro staff", kind="textarea", max_length=2000)

CATEGORIES: list[dict[str, Any]] = [
    {"slug": "consulenza-fiscale", "name": "Consulenza fiscale", "position": 10,
     "description": "Dichiarazioni, partita IVA e adempimenti fiscali seguiti da commercialisti "
                    "iscritti all'albo."},
    {"slug": "servizi-web", "name": "Servizi web", "position": 20,
     "description": "Siti vetrina, negozi online e manutenzione: il tuo business in rete, senza pensieri."},
    {"slug": "traduzioni", "name": "Traduzioni", "position": 30,
     "description": "Traduzioni professionali, giurate e tecniche da traduttori madrelingua."},
    {"slug": "pratiche", "name": "Pratiche e visure", "position": 40,
     "description": "Visure, SCIA, contratti e firma digitale: le pratiche burocratiche le sbrighiamo noi."},
    {"slug": "formazione", "name": "Formazione", "position": 50,
     "description": "Corsi in aula e online, con attestato. Formazione esente IVA come ente accreditato."},
    {"slug": "consulenza-aziendale", "name": "Consulenza aziendale", "position": 60,
     "description": "Business plan, privacy e organizzazione: un consulente al fianco della tua impresa."},
]


def _svc(slug: str, category: str, name: str, short: str, description: str, *, base: int | None,
         vat: int = IVA_22, fields: list[dict], quote_allowed: bool = False,
         position: int = 0) -> ServiceContent:
    # Every 0 % service of the demo is training as an accredited body: art. 10 n. 20 DPR 633/72.
    clean = [{k: v for k, v in f.items() if v is not None} for f in fields]
    return ServiceContent(
        slug=slug, category=category, name=name, short_description=short, description=description,
        pricing_mode="fixed" if base is not None else "quote", base_net_cents=base, vat_rate_bp=vat,
        form=FormDefinition.model_validate({"fields": clean}), quote_allowed=quote_allowed,
        position=position, vat_exemption=ACCREDITED_TRAINING if vat == ESENTE else None,
    )


SERVICES: list[ServiceContent] = [
    # --- consulenza fiscale ---
    _svc("dichiarazione-dei-redditi", "consulenza-fiscale", "Dichiarazione dei redditi",
         "Modello 730 o Redditi PF compilato e inviato da un commercialista.",
         "Raccogliamo i tuoi documenti, verifichiamo detrazioni e deduzioni e trasmettiamo la "
         "dichiarazione all'Agenzia delle Entrate. Ricevi la ricevuta di invio e il prospetto "
         "di liquidazione.",
         base=6000, position=10, fields=[
             choice("modello", "Modello", [opt("730", "Modello 730"),
                                           opt("redditi-pf", "Modello Redditi PF", 4000)]),
             number("immobili", "Immobili posseduti", 0, 20, unit=1500, required=False,
                    help="Ogni immobile (terreni e fabbricati) da dichiarare."),
             number("familiari", "Familiari a carico", 0, 10, unit=1000, required=False),
             check("bonus_edilizi", "Detrazioni per bonus edilizi", price=3000),
             urgent(),
             files("documenti", "Ricevute e documenti (CU, spese mediche, mutuo…)", PDF_AND_SCANS,
                   max_files=10, help="PDF o foto; puoi anche inviarli dopo l'ordine."),
             NOTE,
         ]),
    _svc("apertura-partita-iva", "consulenza-fiscale", "Apertura partita IVA",
         "Apertura della partita IVA con scelta del regime fiscale più conveniente.",
         "Analizziamo la tua attività, scegliamo il codice ATECO e il regime (forfettario o ordinario), "
         "presentiamo la dichiarazione di inizio attività e ti spieghiamo gli adempimenti del primo anno.",
         base=15000, position=20, fields=[
             choice("regime", "Regime fiscale", [opt("forfettario", "Forfettario"),
                                                 opt("ordinario", "Ordinario / semplificato", 10000)]),
             text("attivita", "Descrivi la tua attività", kind="textarea", required=True, max_length=1000),
             check("iscrizione_inps", "Iscrizione INPS (gestione separata o artigiani/commercianti)",
                   price=5000),
             check("pec", "Attivazione casella PEC", price=2500),
         ]),
    _svc("contabilita-forfettario", "consulenza-fiscale", "Contabilità regime forfettario",
         "Tenuta della contabilità annuale per chi è in regime forfettario.",
         "Registrazione delle fatture, calcolo di imposta sostitutiva e contributi, modelli F24 e "
         "dichiarazione annuale inclusi. Un anno di assistenza via email.",
         base=60000, position=30, fields=[
             choice("fatture", "Fatture emesse all'anno", [
                 opt("fino-50", "Fino a 50"), opt("51-150", "Da 51 a 150", 20000),
                 opt("oltre-150", "Oltre 150", 45000)], kind="select"),
             check("fatturazione_elettronica", "Software di fatturazione elettronica incluso", price=6000),
         ]),
    _svc("invio-f24-ravvedimento", "consulenza-fiscale", "F24 e ravvedimento operoso",
         "Calcolo e invio di modelli F24, anche con ravvedimento per pagamenti in ritardo.",
         "Calcoliamo sanzioni e interessi del ravvedimento operoso e inviamo i modelli F24 con "
         "addebito sul tuo conto. Ricevi le quietanze di pagamento.",
         base=0, position=40, fields=[
             number("modelli", "Numero di modelli F24", 1, 20, unit=2500),
             check("ravvedimento", "Con ravvedimento operoso", price=2000),
         ]),
    _svc("consulenza-fiscale-societa", "consulenza-fiscale", "Consulenza fiscale per società",
         "Pianificazione fiscale e assistenza continuativa per SRL e SNC.",
         "Bilanci, dichiarazioni societarie, pianificazione e rapporti con l'Agenzia delle Entrate: "
         "raccontaci la tua società e ti prepariamo un preventivo su misura.",
         base=None, position=50, fields=[
             choice("forma", "Forma giuridica", [opt("srl", "SRL / SRLS"), opt("snc", "SNC / SAS"),
                                                 opt("altro", "Altro")], kind="select"),
             choice("fatturato", "Fatturato annuo", [opt("fino-200k", "Fino a 200.000 €"),
                                                     opt("200k-1m", "Da 200.000 € a 1 milione"),
                                                     opt("oltre-1m", "Oltre 1 milione")], kind="select"),
             text("esigenze", "Di che cosa avete bisogno?", kind="textarea", required=True, max_length=3000),
             text("telefono", "Telefono per essere ricontattati", kind="tel"),
         ]),
    # --- servizi web ---
    _svc("sito-vetrina", "servizi-web", "Sito vetrina",
         "Sito responsive fino a 5 pagine, pronto in tre settimane.",
         "Progettiamo e realizziamo il tuo sito vetrina: grafica su modello, testi impaginati, modulo "
         "contatti, ottimizzazione SEO di base e cookie banner conforme al GDPR. Hosting del primo "
         "anno incluso.",
         base=90000, position=10, fields=[
             number("pagine_extra", "Pagine oltre le 5 incluse", 0, 30, unit=9000, required=False),
             choice("lingue", "Lingue", [opt("it", "Solo italiano"),
                                         opt("it-en", "Italiano e inglese", 30000)]),
             check("blog", "Sezione blog", price=25000),
             check("logo", "Progettazione del logo", price=35000),
             text("dominio", "Dominio desiderato", placeholder="www.esempio.it", max_length=253),
             urgent("Consegna in 10 giorni (+30 %)"),
         ]),
    _svc("e-commerce", "servizi-web", "Negozio online (e-commerce)",
         "Negozio online con pagamenti, spedizioni e gestione ordini.",
         "Un e-commerce completo: catalogo prodotti, carrello, pagamenti con carta e PayPal, calcolo "
         "delle spedizioni, area clienti e formazione all'uso del pannello.",
         base=250000, position=20, quote_allowed=True, fields=[
             choice("pacchetto", "Pacchetto", [
                 opt("start", "Start (fino a 100 prodotti)"),
                 opt("business", "Business (fino a 1.000 prodotti)", 150000),
                 opt("premium", "Premium (prodotti illimitati, multilingua)", 350000)], kind="select"),
             number("prodotti_da_caricare", "Prodotti da caricare per te", 0, 2000, unit=150,
                    required=False, help="Inserimento di schede prodotto da un tuo file Excel."),
             check("fatturazione", "Integrazione con la fatturazione elettronica", price=40000),
             check("marketplace", "Collegamento ad Amazon ed eBay", price=60000),
         ]),
    _svc("manutenzione-mensile", "servizi-web", "Manutenzione mensile del sito",
         "Aggiornamenti, backup e sicurezza del tuo sito, ogni mese.",
         "Aggiorniamo CMS e plugin, controlliamo la sicurezza, facciamo i backup e interveniamo in "
         "caso di problemi. Il prezzo è per un mese: scegli la quantità per più mesi.",
         base=4900, position=30, fields=[
             choice("piano", "Piano", [opt("essenziale", "Essenziale"),
                                       opt("avanzato", "Avanzato (2 ore di modifiche)", 3000),
                                       opt("completo", "Completo (5 ore di modifiche)", 7000)]),
             text("indirizzo_sito", "Indirizzo del sito", required=True, max_length=253,
                  placeholder="https://www.esempio.it"),
             check("backup_giornaliero", "Backup giornaliero", price=1000),
             check("report", "Report mensile di visite e prestazioni", price=1500),
         ]),
    _svc("sito-su-misura", "servizi-web", "Sito su misura",
         "Portali, aree riservate e integrazioni: progettati per te.",
         "Per progetti che non stanno in un pacchetto: portali, prenotazioni, aree riservate, "
         "integrazioni con gestionali. Descrivi il progetto e ti inviamo un preventivo dettagliato.",
         base=None, position=40, fields=[
             text("progetto", "Descrivi il progetto", kind="textarea", required=True, max_length=5000),
             choice("budget", "Budget indicativo", [opt("fino-5k", "Fino a 5.000 €"),
                                                    opt("5k-15k", "Da 5.000 a 15.000 €"),
                                                    opt("oltre-15k", "Oltre 15.000 €")], kind="select"),
             {"name": "consegna", "label": "Data di consegna desiderata", "type": "date", "required": False},
         ]),
    _svc("audit-seo", "servizi-web", "Audit SEO",
         "Analisi del posizionamento su Google con piano di interventi.",
         "Analizziamo struttura, contenuti, velocità e link del tuo sito e ti consegniamo un report "
         "con le priorità di intervento, spiegato in una videochiamata di un'ora.",
         base=35000, position=50, quote_allowed=True, fields=[
             text("indirizzo_sito", "Indirizzo del sito", required=True, max_length=253),
             number("pagine", "Pagine da analizzare", 1, 200, unit=300),
             check("concorrenti", "Analisi di 3 concorrenti", price=15000),
             urgent(),
         ]),
    # --- traduzioni ---
    _svc("traduzione-per-pagina", "traduzioni", "Traduzione professionale a pagina",
         "Traduzione di documenti da e verso l'italiano, a cartella.",
         "Traduttori madrelingua per testi commerciali, siti e corrispondenza. Il prezzo è per "
         "cartella (1.500 battute); le lingue meno diffuse hanno una maggiorazione.",
         base=0, position=10, fields=[
             number("pagine", "Numero di pagine (cartelle)", 1, 500, unit=2500),
             choice("lingue", "Combinazione linguistica", [
                 opt("it-en", "Italiano ↔ inglese"), opt("it-eu", "Italiano ↔ francese, tedesco o spagnolo"),
                 opt("it-est", "Italiano ↔ lingue dell'Est Europa", percent=2000),
                 opt("it-asia", "Italiano ↔ arabo, cinese o giapponese", percent=5000)], kind="select"),
             choice("consegna", "Consegna", [opt("standard", "Standard (5 giorni lavorativi)"),
                                             opt("urgente", "Urgente (48 ore, +30 %)", percent=3000)]),
             files("documento", "Documento da tradurre", DOCUMENTS,
                   help="PDF, Word, OpenDocument, testo o foto; puoi anche inviarlo dopo l'ordine."),
             NOTE,
         ]),
    _svc("traduzione-asseverata", "traduzioni", "Traduzione asseverata (giurata)",
         "Traduzione giurata in tribunale, valida per uso legale.",
         "Traduzione con giuramento presso il tribunale, per atti, certificati e titoli di studio. "
         "Le marche da bollo (16 € ogni 4 pagine) sono addebitate al costo.",
         base=6000, position=20, fields=[
             number("pagine", "Numero di pagine", 1, 200, unit=3000),
             choice("lingua", "Lingua", [opt("en", "Inglese"), opt("fr", "Francese"), opt("de", "Tedesco"),
                                         opt("es", "Spagnolo")], kind="select"),
             check("apostille", "Legalizzazione o apostille", price=4000),
             check("spedizione", "Spedizione per raccomandata", price=1200),
             urgent(),
             files("documento", "Documento da tradurre", PDF_AND_SCANS,
                   help="La scansione dell'atto o del certificato; l'originale ci serve per il "
                        "giuramento."),
         ]),
    _svc("traduzione-tecnica", "traduzioni", "Traduzione tecnica",
         "Manuali, brevetti e documentazione tecnica tradotti da specialisti.",
         "Per testi tecnici, legali o medici affidiamo il lavoro a traduttori esperti del settore "
         "con glossari dedicati. Inviaci i dettagli per un preventivo.",
         base=None, position=30, fields=[
             choice("settore", "Settore", [opt("tecnico", "Tecnico / meccanico"), opt("legale", "Legale"),
                                           opt("medico", "Medico / farmaceutico"),
                                           opt("it", "Informatico")], kind="select"),
             number("parole", "Parole stimate", 100, 1_000_000, required=False),
             text("lingue", "Lingue di partenza e di arrivo", required=True, max_length=200),
             {"name": "scadenza", "label": "Entro quando ti serve?", "type": "date", "required": False},
             files("campione", "Un campione del testo", DOCUMENTS, max_files=3,
                   help="Ci aiuta a stimare tempi e prezzo."),
         ]),
    _svc("revisione-testi", "traduzioni", "Revisione e correzione di testi",
         "Correzione di bozze e revisione stilistica di testi in italiano o inglese.",
         "Un revisore madrelingua corregge refusi, grammatica e stile e ti restituisce il testo con "
         "le modifiche evidenziate. Prezzo a parole, a blocchi di 500.",
         base=0, position=40, fields=[
             number("parole", "Numero di parole", 500, 200_000, unit=2, step=500),
             choice("lingua", "Lingua del testo", [opt("it", "Italiano"), opt("en", "Inglese")]),
             check("stile", "Revisione stilistica approfondita", percent=5000),
         ]),
    _svc("interpretariato", "traduzioni", "Interpretariato",
         "Interpreti per riunioni, fiere e trattative, in presenza o da remoto.",
         "Interpretariato consecutivo, simultaneo o di trattativa. Indicaci data, luogo e lingue: "
         "ti proponiamo l'interprete e il preventivo.",
         base=None, position=50, fields=[
             choice("tipo", "Tipo di interpretariato", [opt("trattativa", "Di trattativa"),
                                                        opt("consecutiva", "Consecutiva"),
                                                        opt("simultanea", "Simultanea")]),
             {"name": "data", "label": "Data dell'evento", "type": "date", "required": True},
             text("luogo", "Luogo (o «da remoto»)", required=True, max_length=200),
             text("lingue", "Lingue", required=True, max_length=200),
         ]),
    # --- pratiche ---
    _svc("visura-camerale", "pratiche", "Visura camerale",
         "Visura ufficiale della Camera di Commercio, in PDF entro un'ora.",
         "Visura ordinaria o storica di qualsiasi impresa italiana, con diritti camerali inclusi.",
         base=1500, position=10, fields=[
             choice("tipo", "Tipo di visura", [opt("ordinaria", "Ordinaria"),
                                               opt("storica", "Storica", 1000)]),
             text("impresa", "Codice fiscale o partita IVA dell'impresa", required=True, max_length=16),
             check("bilancio", "Ultimo bilancio depositato", price=800),
         ]),
    _svc("visura-catastale", "pratiche", "Visura catastale",
         "Visura catastale per immobile o per soggetto, con planimetria su richiesta.",
         "Estraiamo dal Catasto i dati di fabbricati e terreni: intestatari, rendita, classamento. "
         "La planimetria è rilasciata solo al proprietario.",
         base=1200, position=20, fields=[
             choice("tipo", "Ricerca", [opt("immobile", "Per immobile"),
                                        opt("soggetto", "Per soggetto", 500)]),
             text("dati", "Comune, foglio, particella e subalterno (o codice fiscale)", required=True,
                  max_length=300),
             check("planimetria", "Planimetria catastale", price=2500),
         ]),
    _svc("pratica-scia", "pratiche", "Pratica SCIA",
         "Segnalazione certificata di inizio attività presentata al SUAP del tuo comune.",
         "Prepariamo e presentiamo la SCIA per aprire o modificare un'attività commerciale, "
         "artigianale o di somministrazione, con tutti gli allegati richiesti.",
         base=45000, position=30, fields=[
             choice("attivita", "Tipo di attività", [
                 opt("commercio", "Commercio al dettaglio"), opt("artigianato", "Artigianato", 5000),
                 opt("somministrazione", "Somministrazione di alimenti e bevande", 15000)], kind="select"),
             text("comune", "Comune", required=True, max_length=100),
             check("asseverazione", "Asseverazione di un tecnico abilitato", price=30000),
             urgent(),
         ]),
    _svc("firma-digitale-pec", "pratiche", "Firma digitale e PEC",
         "Kit di firma digitale con riconoscimento da remoto, PEC opzionale.",
         "Firma digitale valida tre anni con riconoscimento via webcam; aggiungi una casella PEC "
         "per ricevere comunicazioni con valore legale.",
         base=5900, position=40, fields=[
             choice("dispositivo", "Dispositivo", [opt("remota", "Firma remota (app)"),
                                                   opt("smartcard", "Smart card con lettore", 1500),
                                                   opt("token", "Token USB", 2500)]),
             check("pec", "Casella PEC per un anno", price=1500),
             text("telefono", "Cellulare per il riconoscimento", kind="tel", required=True),
         ]),
    _svc("registrazione-contratto-locazione", "pratiche", "Registrazione contratto di locazione",
         "Registrazione telematica del contratto d'affitto all'Agenzia delle Entrate.",
         "Registriamo il contratto, calcoliamo imposte e bolli e ti inviamo la ricevuta. "
         "Su richiesta redigiamo anche il contratto.",
         base=7000, position=50, fields=[
             choice("regime", "Regime", [opt("cedolare", "Cedolare secca"),
                                         opt("ordinario", "Ordinario", 2000)]),
             check("redazione", "Redazione del contratto", price=8000),
             {"name": "decorrenza", "label": "Decorrenza del contratto", "type": "date", "required": True},
         ]),
    # --- formazione ---
    _svc("corso-sicurezza-lavoratori", "formazione", "Corso sicurezza lavoratori (in aula)",
         "Formazione obbligatoria D.Lgs. 81/08, con attestato valido cinque anni.",
         "Formazione generale e specifica per i lavoratori secondo l'Accordo Stato-Regioni. "
         "Prezzo a partecipante: indica la quantità per più persone. Esente IVA.",
         base=0, vat=ESENTE, position=10, fields=[
             choice("rischio", "Livello di rischio", [opt("basso", "Basso (8 ore)", 9000),
                                                      opt("medio", "Medio (12 ore)", 14000),
                                                      opt("alto", "Alto (16 ore)", 18000)]),
             choice("sede", "Sede", [opt("milano", "Milano"), opt("roma", "Roma"), opt("bologna", "Bologna")],
                    kind="select"),
             text("partecipante", "Nome e cognome del partecipante", required=True, max_length=200),
         ]),
    _svc("corso-excel-online", "formazione", "Corso Excel online",
         "Dieci lezioni registrate con esercizi ed esame finale.",
         "Dalle formule alle tabelle pivot: un corso online da seguire quando vuoi, con attestato "
         "di frequenza e un'ora di tutoraggio individuale su richiesta.",
         base=19000, position=20, fields=[
             choice("livello", "Livello", [opt("base", "Base"), opt("avanzato", "Avanzato", 6000)]),
             check("tutoraggio", "Un'ora di tutoraggio individuale", price=5000),
             text("email_partecipante", "Email del partecipante", kind="email", required=True),
         ]),
    _svc("corso-gdpr-aula", "formazione", "Corso privacy e GDPR (in aula)",
         "Mezza giornata per imparare a trattare i dati personali secondo il GDPR.",
         "Per titolari, incaricati e referenti privacy: principi, registro dei trattamenti, "
         "gestione delle violazioni. Attestato incluso. Esente IVA.",
         base=12000, vat=ESENTE, position=30, fields=[
             choice("sede", "Sede", [opt("milano", "Milano"), opt("roma", "Roma")], kind="select"),
             check("materiale", "Manuale cartaceo", price=2000),
         ]),
    _svc("formazione-su-misura", "formazione", "Formazione aziendale su misura",
         "Corsi progettati per il tuo team, nella tua sede o online.",
         "Analizziamo i bisogni formativi, progettiamo il percorso e lo teniamo dove preferisci. "
         "Possibilità di finanziamento con i fondi interprofessionali. Esente IVA.",
         base=None, vat=ESENTE, position=40, fields=[
             text("argomento", "Argomento del corso", required=True, max_length=300),
             number("partecipanti", "Numero di partecipanti", 1, 500),
             choice("modalita", "Modalità", [opt("sede", "Nella vostra sede"), opt("online", "Online")]),
         ]),
    # --- consulenza aziendale ---
    _svc("consulenza-aziendale", "consulenza-aziendale", "Consulenza aziendale",
         "Organizzazione, controllo di gestione e crescita della tua impresa.",
         "Un consulente analizza processi e numeri della tua azienda e propone un piano di interventi. "
         "Descrivici la situazione: ti ricontattiamo con un preventivo.",
         base=None, position=10, fields=[
             choice("area", "Area di intervento", [opt("organizzazione", "Organizzazione"),
                                                   opt("controllo", "Controllo di gestione"),
                                                   opt("finanza", "Finanza e credito"),
                                                   opt("crescita", "Strategia e crescita")], kind="select"),
             choice("dipendenti", "Dipendenti", [opt("1-9", "Da 1 a 9"), opt("10-49", "Da 10 a 49"),
                                                 opt("50+", "50 o più")]),
             text("situazione", "Descrivi la situazione", kind="textarea", required=True, max_length=5000),
         ]),
    _svc("business-plan", "consulenza-aziendale", "Business plan",
         "Piano d'impresa per banche, bandi e investitori.",
         "Redigiamo il business plan con analisi di mercato, piano economico-finanziario e "
         "presentazione sintetica, pronto per la banca o per un bando.",
         base=120000, position=20, quote_allowed=True, fields=[
             choice("finalita", "Finalità", [opt("banca", "Finanziamento bancario"),
                                             opt("bando", "Bando pubblico", 20000),
                                             opt("investitori", "Investitori", 30000)], kind="select"),
             number("anni", "Anni di proiezione", 3, 5, unit=10000),
             check("analisi_mercato", "Analisi di mercato approfondita", price=40000),
             urgent(),
         ]),
    _svc("check-up-privacy", "consulenza-aziendale", "Check-up privacy GDPR",
         "Verifica della conformità al GDPR con documenti pronti all'uso.",
         "Registro dei trattamenti, informative, nomine e valutazione dei rischi: verifichiamo "
         "la tua situazione e ti consegniamo i documenti aggiornati.",
         base=39000, position=30, fields=[
             number("dipendenti", "Numero di dipendenti", 0, 250, unit=500),
             check("videosorveglianza", "Impianto di videosorveglianza", price=15000),
             check("sito", "Privacy e cookie policy del sito", price=9000),
         ]),
    _svc("consulenza-oraria", "consulenza-aziendale", "Consulenza a ore",
         "Un esperto a disposizione per le tue domande, a ore.",
         "Fiscale, legale d'impresa o digitale: prenota le ore che ti servono, in videochiamata o in sede.",
         base=0, position=40, fields=[
             number("ore", "Ore", 1, 40, unit=8000),
             choice("modalita", "Modalità", [opt("video", "Videochiamata"),
                                             opt("sede", "Presso la tua sede", 5000)]),
             text("argomento", "Argomento", kind="textarea", required=True, max_length=2000),
         ]),
]
