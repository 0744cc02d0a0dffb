"""The words of newspaper conventions in many languages: byline and credit labels, conjunctions
between names, rights reservations, and the vocabulary of page furniture.

Vocabulary lives here, as lower-case words and short phrases, with `words_pattern` to find them;
the rules that use them live in archive.ingest.extract, archive.story.rights and
archive.ingest.furniture. Add a
language by adding its words.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

# Scripts written without spaces between words: their words are found inside longer runs.
UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
WORD_CHAR = rf"[[\p{{L}}\p{{M}}\p{{N}}]--[{UNSPACED}]]"


def words_pattern(words: Iterable[str]) -> regex.Pattern:
    """One case-insensitive pattern finding any of `words` as whole words (inside a run of text
    in scripts written without spaces), longest first.

    A word of a spaced script ends at any letter of its own kind, but not at a neighbouring Han
    or kana ("使用Cookie以"). The boundaries are written once around all the words, so that a
    search costs one look at each position, not one per word.
    """
    spaced: list[str] = []
    unspaced: list[str] = []
    for word in sorted(set(words), key=len, reverse=True):
        (unspaced if regex.search(f"[{UNSPACED}]", word) else spaced).append(regex.escape(word))
    parts = []
    if spaced:
        parts.append(rf"(?<!{WORD_CHAR})(?:{'|'.join(spaced)})(?!{WORD_CHAR})")
    if unspaced:
        parts.append("|".join(unspaced))
    return regex.compile("|".join(parts), regex.IGNORECASE | regex.VERSION1)


# Words that open a byline without a colon ("By Ann Lee", "Γράφει η Άννα", "Par Marie Roux").
BYLINE_WORDS = {
    "by", "words by", "text by", "reporting by", "written by", "reported by", "oleh", "par",
    "von", "por", "di", "da", "door", "av", "af", "przez", "od", "tarafından", "yazan", "autor",
    "autora", "автор", "авторы", "текст",
    "γράφει", "γράφουν", "του", "της", "των", "بقلم", "كتب", "كتبت", "إعداد", "מאת", "نوشته",
    "作者", "记者", "記者", "文", "글", "기자",
}  # fmt: skip
# Labels before a byline's colon ("Автор: X", "写真・文：X", "Text and photos: X"), singular and
# plural. A line with one of these is a byline wherever it stands in an article's head or tail.
BYLINE_LABELS = {
    "by", "author", "authors", "words", "text", "texts", "story", "report", "reporting",
    "written by", "reported by", "text and photos", "text & photos", "words and pictures",
    "text and pictures", "photos and text", "texte", "texte et photos", "textes", "auteur",
    "auteurs", "text und fotos", "autor", "autoren", "autorin", "texto", "textos",
    "texto y fotos", "texto e fotos", "autores", "testo", "testi", "autore", "autori",
    "testo e foto", "tekst", "teksti", "tekst i zdjęcia", "tekst en foto's", "auteur(s)",
    "yazan", "yazar", "metin", "oleh", "penulis", "tác giả", "bài", "bài và ảnh", "lời",
    "автор", "авторы", "автори", "текст", "текст и фото", "текст і фото", "материал",
    "συντάκτης", "συντάκτες", "κείμενο", "γράφει", "γράφουν", "بقلم", "كتب", "كتبت", "كتابة",
    "إعداد", "تحرير", "نص", "نص وتصوير", "מאת", "כתב", "כתבה", "نویسنده", "نوشته", "लेखक",
    "文", "文・写真", "写真・文", "取材・文", "文と写真", "筆者", "作者", "记者", "記者", "撰文",
    "文字", "文/图", "글", "글·사진", "글쓴이", "기자",
}  # fmt: skip
# Words after the names in languages that put the title last ("김민수 기자", "王伟 记者").
BYLINE_SUFFIXES = {"기자", "특파원", "記者", "特派員", "记者", "特派记者", "編集委員"}
# Words of scripts without capitals that no name holds (prepositions, pronouns): in Arabic or
# Hebrew, capitals cannot tell a name from a phrase, these can.
NOT_NAME_WORDS = {
    "في", "من", "إلى", "على", "عن", "مع", "هذا", "هذه", "التي", "الذي", "كان", "قد", "لا", "ما",
    "أن", "إن", "بعد", "قبل", "منذ", "عند", "של", "את", "על", "עם", "זה", "לא", "در",
    "از", "به", "با", "که", "این",
}  # fmt: skip
# Articles a byline may put before its names ("Γράφει η Άννα", "Por la Redacción").
BYLINE_ARTICLES = {"η", "ο", "οι", "the", "la", "el", "le", "der", "die", "il", "lo"}
# Roles that stand after a byline's names and are not names ("By Ann Lee, Staff Writer").
BYLINE_ROLES = {
    "staff writer", "staff reporter", "correspondent", "special correspondent",
    "senior correspondent", "foreign correspondent", "reporter", "editor", "staff",
    "корреспондент", "спецкор", "собкор", "correspondant", "correspondante", "korrespondent",
    "korrespondentin", "corresponsal", "corrispondente", "مراسل", "مراسلة",
}  # fmt: skip
# News agencies and wire services: a byline naming one credits an organisation, not a person.
AGENCIES = {
    "ap", "associated press", "the associated press", "reuters", "afp", "agence france-presse",
    "agence france presse", "dpa", "deutsche presse-agentur", "efe", "agencia efe", "ansa",
    "tass", "тасс", "итар-тасс", "ria novosti", "риа новости", "interfax", "интерфакс",
    "xinhua", "新华社", "kyodo", "kyodo news", "共同通信", "共同", "jiji", "jiji press",
    "時事通信", "時事", "yonhap", "연합뉴스", "pa", "pa media", "press association", "aap",
    "the canadian press", "canadian press", "upi", "bloomberg", "apa", "ats", "sda", "kna",
    "epd", "anadolu", "anadolu ajansı", "aa", "wafa", "وفا", "kuna", "كونا", "واس", "spa",
    "mena", "أ ف ب", "ا ف ب", "رويترز", "أسوشيتد برس", "pap", "čtk", "ctk", "mti", "bta",
    "hina", "tanjug", "ukrinform", "укрінформ", "уніан", "unian", "lusa", "agência brasil",
    "notimex", "télam", "anp", "belga", "ntb", "tt", "ritzau", "stt", "ians", "pti", "bernama",
    "antara", "vna", "ttxvn", "ирна", "irna", "isna", "kpa", "ena", "mapp", "ria", "риа",
}  # fmt: skip
# Words that make a name an organisation's ("Kyodo News", "Agencia EFE", "Агентство Москва").
ORGANISATION_WORDS = {
    "news", "agency", "press", "presse", "agence", "agencia", "agenzia", "agentur", "agência",
    "newsroom", "desk", "staff", "wire", "wires", "редакция", "агентство", "новости",
    "вести", "rédaction", "redaktion", "redacción", "redazione", "redação", "وكالة", "وكالات",
    "التحرير", "通信", "通信社", "通讯社", "新聞", "新闻", "编辑部", "編集部", "뉴스", "통신",
}  # fmt: skip
# Labels before a credit: "Source: X / Agency", "Фото: X", "写真：X". A label not listed here is
# still read as one when the credit names an agency ("Label: Name / Agency").
CREDIT_LABELS = {
    "source", "sources", "photo", "photos", "photograph", "photo credit", "picture", "image",
    "images", "credit", "credits", "illustration", "video", "graphic", "graphics", "map", "foto",
    "fotos", "fotografía", "fotografia", "imagen", "imagem", "fuente", "fonte", "bild", "quelle",
    "crédit", "crédito", "crediti", "illustratie", "źródło", "zdjęcie", "fot", "zdroj", "forrás",
    "kaynak", "fotoğraf", "görsel", "sumber", "nguồn", "ảnh", "источник", "фото", "фотография",
    "снимок", "иллюстрация", "джерело", "πηγή", "φωτογραφία", "φωτ", "εικόνα", "المصدر", "مصدر",
    "صورة", "الصورة", "تصوير", "צילום", "מקור", "عکس", "منبع", "फोटो", "स्रोत", "写真", "撮影",
    "出典", "提供", "画像", "图", "图片", "圖片", "来源", "來源", "摄影", "攝影", "사진", "출처",
    "제공",
}  # fmt: skip
# Words that join the last two names of a byline or of a quoted pair ("Ann and Bo").
CONJUNCTIONS = {
    "and", "&", "et", "und", "y", "e", "en", "og", "och", "ja", "és", "i", "a", "ve", "và", "dan",
    "și", "и", "й", "та", "і", "και", "κι", "و", "ו", "と", "및", "和", "與", "与",
}  # fmt: skip
# Reservation sentences of rights lines, without their final stop.
RESERVATIONS = [
    "all rights reserved", "some rights reserved", "tous droits réservés",
    "alle rechte vorbehalten", "todos los derechos reservados", "todos os direitos reservados",
    "tutti i diritti riservati", "alle rechten voorbehouden", "alla rättigheter förbehållna",
    "alle rettigheder forbeholdes", "alle rettigheter reservert", "kaikki oikeudet pidätetään",
    "wszelkie prawa zastrzeżone", "všechna práva vyhrazena", "všetky práva vyhradené",
    "minden jog fenntartva", "toate drepturile rezervate", "tüm hakları saklıdır",
    "hak cipta dilindungi undang-undang", "bảo lưu mọi quyền", "все права защищены",
    "все права сохранены", "все права принадлежат", "усі права захищені", "всі права захищені",
    "всички права запазени", "сва права задржана", "με επιφύλαξη παντός δικαιώματος",
    "όλα τα δικαιώματα διατηρούνται", "όλα τα δικαιώματα κατοχυρωμένα", "جميع الحقوق محفوظة",
    "كل الحقوق محفوظة", "الحقوق محفوظة", "כל הזכויות שמורות", "تمامی حقوق محفوظ است",
    "کلیه حقوق محفوظ است", "सर्वाधिकार सुरक्षित", "สงวนลิขสิทธิ์", "無断転載を禁じます",
    "無断転載禁止", "無断複製・転載を禁じます", "無断転載・複製を禁じます", "版权所有",
    "版權所有", "保留所有权利", "保留一切权利", "未经授权不得转载", "무단 전재 및 재배포 금지",
    "모든 권리 보유",
]  # fmt: skip
# Company forms that end in a full stop inside a holder's name ("X Ltd. All rights reserved.").
NAME_ABBREVIATIONS = {
    "inc", "ltd", "co", "corp", "llc", "plc", "pty", "bros", "jr", "sr", "st", "s.a", "s.p.a",
    "gmbh", "ag", "n.v", "b.v", "a.s", "k.k", "ооо", "зао", "оао",
}  # fmt: skip

# Page furniture: what a consent banner, a newsletter prompt or a row of share links is made of.
COOKIE_WORDS = {
    "cookie", "cookies", "куки", "кукис", "cookie-файлы", "ملفات تعريف الارتباط",
    "تعريف الارتباط", "クッキー", "쿠키", "عوامل تعريف",
}  # fmt: skip
# Verbs and labels of consent buttons, and the reader's way into the settings.
CONSENT_ACTIONS = {
    "accept", "accept all", "agree", "i agree", "allow", "allow all", "reject", "reject all",
    "decline", "manage", "settings", "preferences", "customise", "customize", "click", "ok",
    "got it", "learn more", "find out more", "by continuing", "akzeptieren", "zustimmen",
    "einverstanden", "ablehnen", "klicken", "einstellungen", "accepter", "j'accepte", "refuser",
    "cliquez", "paramètres", "aceptar", "acepto", "rechazar", "haga clic", "configuración",
    "accetta", "accetto", "rifiuta", "clicca", "aceitar", "aceito", "recusar", "clique", "kabul",
    "reddet", "tıklayın", "akceptuję", "akceptuj", "zgadzam", "odrzuć", "kliknij", "принять",
    "принимаю", "согласен", "согласна", "отклонить", "разрешить", "нажмите", "настройки",
    "продолжая", "прийняти", "αποδοχή", "αποδέχομαι", "συμφωνώ", "απόρριψη", "κλικ", "ρυθμίσεις",
    "συνεχίζοντας", "قبول", "موافق", "أوافق", "رفض", "انقر", "اضغط", "إعدادات", "بالاستمرار",
    "受け入れる", "同意", "承諾", "拒否", "クリック", "設定", "接受", "点击", "點擊", "拒绝",
    "동의", "수락", "거부", "클릭",
    "tout accepter", "tout refuser", "paramétrer", "personnaliser", "configurar",
    "alle akzeptieren", "nur notwendige", "الإعدادات", "设置", "全部接受", "同意并继续",
}  # fmt: skip
# The site speaking of itself, or to its reader: a banner's voice, never a report's.
SITE_VOICE = {
    "this site", "this website", "our site", "our website", "we use", "your", "votre",
    "vous acceptez", "ihre", "ihnen", "этот сайт",
    "наш сайт", "мы используем", "ваш", "вашего", "αυτός ο ιστότοπος", "αυτή η ιστοσελίδα",
    "χρησιμοποιούμε", "هذا الموقع", "موقعنا", "نستخدم", "このサイト", "当サイト", "本サイト",
    "本网站", "本網站", "이 사이트", "diese website", "wir verwenden", "ce site",
    "nous utilisons", "este sitio", "utilizamos", "questo sito", "este site",
}  # fmt: skip
NEWSLETTER_WORDS = {
    "newsletter", "newsletters", "рассылка", "рассылку", "рассылки", "ενημερωτικό δελτίο",
    "newsletter μας", "النشرة البريدية", "النشرة الإخبارية", "ニュースレター", "メルマガ",
    "뉴스레터", "通讯", "電子報", "infolettre", "boletín", "nieuwsbrief", "bülten",
}  # fmt: skip
EMAIL_WORDS = {
    "email", "emails", "e-mail", "inbox", "почта", "почту", "почты", "email-адрес",
    "ηλεκτρονικό ταχυδρομείο", "email σας", "البريد الإلكتروني", "بريدك", "メール",
    "メールアドレス", "이메일", "邮箱", "電子郵件", "courriel", "correo", "correo electrónico",
    "posteingang",
}  # fmt: skip
# The reader addressed: sign-up prompts ask, a report tells.
READER_PROMPTS = {
    "sign up", "subscribe", "subscribe now", "enter your", "your", "don't miss", "подпишитесь",
    "подписаться", "введите", "ваш", "вашу", "получайте", "εγγραφείτε", "εγγραφή", "σας",
    "λάβετε", "اشترك", "اشتركوا", "أدخل", "سجل", "登録", "入力", "してください", "購読", "訂閱",
    "订阅", "구독", "가입", "abonnieren", "anmelden", "ihre", "inscrivez-vous", "abonnez-vous",
    "votre", "recevez", "suscríbete", "suscríbase", "recibe", "iscriviti", "inscreva-se", "abone",
    "zapisz",
}  # fmt: skip
SOCIAL_NETWORKS = {
    "facebook", "twitter", "x", "linkedin", "whatsapp", "telegram", "reddit", "pinterest",
    "threads", "bluesky", "mastodon", "instagram", "tiktok", "youtube", "vk", "vkontakte",
    "вконтакте", "вк", "одноклассники", "ok", "viber", "line", "weibo", "wechat", "微博", "微信",
    "kakaotalk", "카카오톡", "flipboard", "email", "e-mail", "print", "mail",
    "ок", "телеграм", "дзен", "фейсбук", "твиттер", "rutube", "qq", "qq空间", "豆瓣", "抖音",
    "فيسبوك", "تويتر", "واتساب", "تيليجرام", "تلغرام", "إنستغرام", "يوتيوب", "لينكدإن",
    "imprimer", "drucken", "imprimir", "печать", "stampa",
}  # fmt: skip
# The labels of sign-up buttons: a row of them stands under a newsletter prompt.
SIGN_UP_BUTTONS = {
    "sign up", "sign me up", "subscribe", "subscribe now", "register", "join", "s'inscrire",
    "je m'inscris", "suscribirme", "suscribirse", "suscríbete", "abonnieren", "anmelden",
    "registrieren", "подписаться", "подписка", "اشترك", "سجل", "订阅", "訂閱", "登録", "購読",
    "구독", "iscriviti", "inscreva-se", "assinar", "zapisz się", "abone ol",
}  # fmt: skip
# The reader addressed: a prompt speaks to "you", a report of others.
READER_ADDRESSED = {
    "you", "your", "votre", "vos", "vous", "ihre", "ihr", "dein", "deine", "ваш", "вашу",
    "ваша", "вы", "tu", "tus", "σας", "بريدك", "您", "你", "あなた", "귀하",
}  # fmt: skip
# Verbs of reported speech: a block that reports what someone said is the story, not a page.
REPORTED_SPEECH = {
    "said", "says", "say", "told", "according to", "сказал", "сказала", "заявил", "заявила",
    "сообщил", "сообщила", "по словам", "sagte", "sagt", "laut", "a déclaré", "a dit", "selon",
    "dijo", "afirmó", "según", "قال", "وقال", "قالت", "وفق", "وفقا", "表示", "称", "据",
    "είπε", "δήλωσε", "言った", "によると",
}  # fmt: skip
SHARE_WORDS = {
    "share", "share on", "share this", "share this article", "share this story", "tweet",
    "follow us", "follow us on", "copy link", "поделиться", "поделитесь", "поделиться в",
    "κοινοποίηση", "μοιραστείτε", "شارك", "مشاركة", "シェア", "共有", "分享", "공유", "teilen",
    "partager", "compartir", "condividi", "partilhar", "delen", "udostępnij", "paylaş",
}  # fmt: skip
# Labels that stand alone between paragraphs: adverts and lists of other stories.
PAGE_LABELS = {
    "advertisement", "advert", "sponsored", "sponsored content", "read more", "related",
    "related stories", "related articles", "more on this story", "most read", "реклама",
    "читайте также", "самое читаемое", "διαφήμιση", "διαβάστε επίσης", "إعلان", "اقرأ أيضا",
    "اقرأ أيضاً", "الأكثر قراءة", "広告", "関連記事", "よく読まれている記事", "광고", "관련기사",
    "广告", "相关新闻", "anzeige", "werbung", "mehr zum thema", "publicité", "lire aussi",
    "publicidad", "leer más", "pubblicità", "leggi anche",
}  # fmt: skip

# The origin of syndicated copy: phrases that open a line naming who first published a story
# ("Originally published by X"), and labels that do so after the body ("Source: X").
ORIGIN_PHRASES = {
    "originally published by", "originally published in", "originally published on",
    "originally published at", "first published by", "first published in",
    "first published on", "originally appeared in", "originally appeared on",
    "this article was originally published by", "this article was originally published in",
    "this article was originally published on", "this article first appeared in",
    "this article first appeared on", "this story was originally published by",
    "this story originally appeared in", "republished from", "republished with permission from",
    "reprinted from", "reprinted with permission from", "впервые опубликовано в",
    "впервые опубликовано на", "впервые опубликовано", "оригинал публикации",
    "материал впервые опубликован в", "erstveröffentlichung", "erstmals erschienen in",
    "erstmals erschienen bei", "zuerst erschienen in", "zuerst erschienen bei",
    "publié initialement par", "publié initialement dans", "publié initialement sur",
    "initialement publié par", "initialement publié dans", "initialement publié sur",
    "article publié initialement dans", "publicado originalmente por",
    "publicado originalmente en", "publicado originalmente em", "publicado originalmente no",
    "publicado originalmente na", "nota publicada originalmente en", "pubblicato originariamente",
    "pubblicato originariamente su", "نشر أولا في", "نُشر أولاً في", "نشر في الأصل في",
    "原载于", "原文刊载于", "本文原载于", "首发于", "初出",
}  # fmt: skip
ORIGIN_LABELS = {
    "source", "original", "original article", "originally published", "first published",
    "источник", "оригинал", "первоисточник", "quelle", "original erschienen", "fuente",
    "fonte", "font", "źródło", "kaynak", "المصدر", "مصدر", "来源", "來源", "出典", "出处",
    "原文", "출처",
}  # fmt: skip
