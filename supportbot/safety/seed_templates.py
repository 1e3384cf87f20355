"""Contrastive hate seeds from hand-written templates.

Run as ``python -m supportbot.safety.seed_templates``.

A sentence embedding mostly says what a text is *about*, so a head trained on a few hateful
sentences learns "mentions women" rather than "attacks women". Each language here pairs the
same group words with hateful templates and with benign ones (praise, rights, counter-speech
that quotes the slur, negation, neutral mention), plus "I hate <thing>" about things that are
no protected group. Writes ``data/seeds/templated_hate.jsonl``; deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).parent / "data" / "seeds" / "templated_hate.jsonl"

# language -> (groups as (subject form, object form), hateful templates, benign templates,
# things that may be hated without hate speech, the "I hate X" template for them)
# {n} is the subject form, {o} the object form.
LANGS: dict[str, dict] = {
    "en": {
        "groups": [
            (g, g)
            for g in (
                "women",
                "immigrants",
                "Muslims",
                "Jews",
                "gay people",
                "trans people",
                "black people",
                "disabled people",
            )
        ],
        "hate": [
            "I hate {o}.",
            "{n} are disgusting parasites.",
            "All {n} should be killed.",
            "{n} are inferior and worthless.",
        ],
        "benign": [
            "I really admire {o}.",
            "{n} deserve the same rights as everyone.",
            "Saying that {n} are parasites is hateful and wrong.",
            "I don't hate {o}.",
            "Many {n} work in our customer team.",
        ],
        "things": ["Mondays", "traffic jams", "waiting on hold"],
        "thing_hate": "I hate {o}.",
    },
    "es": {
        "groups": [
            (g, g)
            for g in (
                "las mujeres",
                "los inmigrantes",
                "los musulmanes",
                "los judíos",
                "los gays",
                "las personas trans",
                "los negros",
                "los discapacitados",
            )
        ],
        "hate": [
            "Odio a {o}.",
            "{n} son parásitos asquerosos.",
            "Hay que matar a todos {o}.",
            "{n} son inferiores y no valen nada.",
        ],
        "benign": [
            "Admiro mucho a {o}.",
            "{n} merecen los mismos derechos que todos.",
            "Decir que {n} son parásitos es odioso e inaceptable.",
            "No odio a {o}.",
            "Muchos de nuestro equipo de atención son {n}.",
        ],
        "things": ["los lunes", "los atascos", "esperar en la línea"],
        "thing_hate": "Odio {o}.",
    },
    "fr": {
        "groups": [
            (g, g)
            for g in (
                "les femmes",
                "les immigrés",
                "les musulmans",
                "les juifs",
                "les homosexuels",
                "les personnes trans",
                "les noirs",
                "les handicapés",
            )
        ],
        "hate": [
            "Je déteste {o}.",
            "{n} sont des parasites répugnants.",
            "Il faut tuer tous {o}.",
            "{n} sont inférieurs et sans valeur.",
        ],
        "benign": [
            "J'admire beaucoup {o}.",
            "{n} méritent les mêmes droits que tout le monde.",
            "Dire que {n} sont des parasites est haineux et inacceptable.",
            "Je ne déteste pas {o}.",
            "Beaucoup de nos conseillers sont {n}.",
        ],
        "things": ["les lundis", "les embouteillages", "l'attente au téléphone"],
        "thing_hate": "Je déteste {o}.",
    },
    "de": {
        "groups": [
            (g, g)
            for g in (
                "Frauen",
                "Ausländer",
                "Muslime",
                "Juden",
                "Schwule",
                "Transmenschen",
                "Schwarze",
                "Behinderte",
            )
        ],
        "hate": [
            "Ich hasse {o}.",
            "{n} sind ekelhafte Parasiten.",
            "Man sollte alle {o} umbringen.",
            "{n} sind minderwertig und wertlos.",
        ],
        "benign": [
            "Ich bewundere {o} sehr.",
            "{n} verdienen die gleichen Rechte wie alle.",
            "Zu sagen, {n} seien Parasiten, ist hasserfüllt und falsch.",
            "Ich hasse {o} nicht.",
            "Viele in unserem Kundenservice sind {n}.",
        ],
        "things": ["Montage", "Staus", "Warteschleifen"],
        "thing_hate": "Ich hasse {o}.",
    },
    "it": {
        "groups": [
            (g, g)
            for g in (
                "le donne",
                "gli immigrati",
                "i musulmani",
                "gli ebrei",
                "i gay",
                "le persone trans",
                "i neri",
                "i disabili",
            )
        ],
        "hate": [
            "Odio {o}.",
            "{n} sono parassiti schifosi.",
            "Bisogna ammazzare tutti {o}.",
            "{n} sono inferiori e non valgono niente.",
        ],
        "benign": [
            "Ammiro molto {o}.",
            "{n} meritano gli stessi diritti di tutti.",
            "Dire che {n} sono parassiti è odioso e sbagliato.",
            "Non odio {o}.",
            "Molti nel nostro servizio clienti sono {n}.",
        ],
        "things": ["i lunedì", "il traffico", "le attese al telefono"],
        "thing_hate": "Odio {o}.",
    },
    "pt": {
        "groups": [
            (g, g)
            for g in (
                "as mulheres",
                "os imigrantes",
                "os muçulmanos",
                "os judeus",
                "os gays",
                "as pessoas trans",
                "os negros",
                "os deficientes",
            )
        ],
        "hate": [
            "Eu odeio {o}.",
            "{n} são parasitas nojentos.",
            "Tem que matar todos {o}.",
            "{n} são inferiores e não valem nada.",
        ],
        "benign": [
            "Eu admiro muito {o}.",
            "{n} merecem os mesmos direitos que todos.",
            "Dizer que {n} são parasitas é odioso e errado.",
            "Eu não odeio {o}.",
            "Muitos na nossa equipe de atendimento são {n}.",
        ],
        "things": ["segundas-feiras", "o trânsito", "esperar na linha"],
        "thing_hate": "Eu odeio {o}.",
    },
    "nl": {
        "groups": [
            (g, g)
            for g in (
                "vrouwen",
                "immigranten",
                "moslims",
                "joden",
                "homo's",
                "transgenders",
                "zwarte mensen",
                "gehandicapten",
            )
        ],
        "hate": [
            "Ik haat {o}.",
            "{n} zijn walgelijke parasieten.",
            "Alle {n} moeten worden afgemaakt.",
            "{n} zijn minderwaardig en waardeloos.",
        ],
        "benign": [
            "Ik bewonder {o} echt.",
            "{n} verdienen dezelfde rechten als iedereen.",
            "Zeggen dat {n} parasieten zijn is haatdragend en fout.",
            "Ik haat {o} niet.",
            "Veel van onze medewerkers zijn {n}.",
        ],
        "things": ["maandagen", "files", "wachten aan de telefoon"],
        "thing_hate": "Ik haat {o}.",
    },
    "pl": {
        "groups": [
            ("kobiety", "kobiet"),
            ("imigranci", "imigrantów"),
            ("muzułmanie", "muzułmanów"),
            ("Żydzi", "Żydów"),
            ("geje", "gejów"),
            ("osoby trans", "osób trans"),
            ("czarni", "czarnych"),
            ("niepełnosprawni", "niepełnosprawnych"),
        ],
        "hate": [
            "Nienawidzę {o}.",
            "{n} to obrzydliwe pasożyty.",
            "Trzeba zabić wszystkich {o}.",
            "{n} są gorsi i nic niewarci.",
        ],
        "benign": [
            "Naprawdę podziwiam {o}.",
            "{n} zasługują na te same prawa co wszyscy.",
            "Mówienie, że {n} to pasożyty, jest nienawistne i złe.",
            "Nie nienawidzę {o}.",
            "Wielu w naszym zespole to {n}.",
        ],
        "things": ["poniedziałków", "korków", "czekania na infolinii"],
        "thing_hate": "Nienawidzę {o}.",
    },
    "ru": {
        "groups": [
            ("женщины", "женщин"),
            ("мигранты", "мигрантов"),
            ("мусульмане", "мусульман"),
            ("евреи", "евреев"),
            ("геи", "геев"),
            ("трансгендеры", "трансгендеров"),
            ("чёрные", "чёрных"),
            ("инвалиды", "инвалидов"),
        ],
        "hate": [
            "Я ненавижу {o}.",
            "{n} — мерзкие паразиты.",
            "Надо убить всех {o}.",
            "{n} неполноценные и ничего не стоят.",
        ],
        "benign": [
            "Я очень уважаю {o}.",
            "{n} заслуживают таких же прав, как все.",
            "Говорить, что {n} — паразиты, мерзко и неправильно.",
            "Я не ненавижу {o}.",
            "Многие в нашей службе поддержки — {n}.",
        ],
        "things": ["понедельники", "пробки", "ожидание на линии"],
        "thing_hate": "Я ненавижу {o}.",
    },
    "ar": {
        "groups": [
            (g, g)
            for g in (
                "النساء",
                "المهاجرين",
                "المسلمين",
                "اليهود",
                "المثليين",
                "المتحولين جنسيا",
                "السود",
                "المعاقين",
            )
        ],
        "hate": [
            "أنا أكره {o}.",
            "{n} طفيليات مقززة.",
            "يجب قتل كل {o}.",
            "{n} أدنى مرتبة ولا قيمة لهم.",
        ],
        "benign": [
            "أنا أحترم {o} كثيرا.",
            "{n} يستحقون نفس الحقوق مثل الجميع.",
            "القول بأن {n} طفيليات كلام كراهية وخاطئ.",
            "أنا لا أكره {o}.",
            "كثير من فريق خدمة العملاء لدينا من {n}.",
        ],
        "things": ["يوم الاثنين", "الزحام المروري", "الانتظار على الهاتف"],
        "thing_hate": "أنا أكره {o}.",
    },
    "zh": {
        "groups": [
            (g, g)
            for g in ("女人", "移民", "穆斯林", "犹太人", "同性恋", "跨性别者", "黑人", "残疾人")
        ],
        "hate": [
            "我讨厌{o}。",
            "{n}都是恶心的寄生虫。",
            "应该把所有{o}都杀掉。",
            "{n}低人一等，毫无价值。",
        ],
        "benign": [
            "我很敬佩{o}。",
            "{n}应该享有和所有人一样的权利。",
            "说{n}是寄生虫是仇恨言论，是错误的。",
            "我并不讨厌{o}。",
            "我们客服团队里有很多{n}。",
        ],
        "things": ["星期一", "堵车", "电话排队等待"],
        "thing_hate": "我讨厌{o}。",
    },
    "ja": {
        "groups": [
            (g, g)
            for g in (
                "女",
                "移民",
                "イスラム教徒",
                "ユダヤ人",
                "同性愛者",
                "トランスジェンダー",
                "黒人",
                "障害者",
            )
        ],
        "hate": [
            "{o}が大嫌いだ。",
            "{n}は気持ち悪い寄生虫だ。",
            "{n}は全員殺すべきだ。",
            "{n}は劣っていて価値がない。",
        ],
        "benign": [
            "{o}をとても尊敬しています。",
            "{n}にも皆と同じ権利があるべきです。",
            "{n}を寄生虫と呼ぶのはヘイトであり間違っています。",
            "私は{o}を嫌っていません。",
            "私たちのサポートチームには{n}も大勢います。",
        ],
        "things": ["月曜日", "渋滞", "電話の待ち時間"],
        "thing_hate": "{o}が大嫌いだ。",
    },
    "ko": {
        "groups": [
            (g, g)
            for g in (
                "여자들",
                "이민자들",
                "무슬림들",
                "유대인들",
                "동성애자들",
                "트랜스젠더들",
                "흑인들",
                "장애인들",
            )
        ],
        "hate": [
            "나는 {o}을 혐오한다.",
            "{n}은 역겨운 기생충이다.",
            "{n}은 다 죽여야 한다.",
            "{n}은 열등하고 쓸모없다.",
        ],
        "benign": [
            "나는 {o}을 정말 존경한다.",
            "{n}도 모두와 같은 권리를 누려야 한다.",
            "{n}이 기생충이라는 말은 혐오 발언이고 잘못이다.",
            "나는 {o}을 싫어하지 않는다.",
            "우리 상담팀에는 {n}이 많다.",
        ],
        "things": ["월요일", "교통 체증", "전화 대기"],
        "thing_hate": "나는 {o}이 정말 싫다.",
    },
    "hi": {
        "groups": [
            ("auratein", "aurton"),
            ("pravasi", "pravasiyon"),
            ("musalman", "musalmanon"),
            ("yahudi", "yahudiyon"),
            ("gay log", "gay logon"),
            ("transgender log", "transgender logon"),
            ("kaale log", "kaale logon"),
            ("viklang log", "viklang logon"),
        ],
        "hate": [
            "mujhe {o} se nafrat hai.",
            "{n} ghinone keede hain.",
            "saare {o} ko maar dena chahiye.",
            "{n} ghatiya aur bekaar hain.",
        ],
        "benign": [
            "main {o} ki bahut izzat karta hoon.",
            "{n} ko bhi sabke jaise barabar haq milne chahiye.",
            "yeh kehna ki {n} keede hain, nafrat bhari aur galat baat hai.",
            "mujhe {o} se koi nafrat nahi hai.",
            "hamari support team mein kai {n} hain.",
        ],
        "things": ["somvaar", "traffic jam", "phone par intezaar"],
        "thing_hate": "mujhe {o} se nafrat hai.",
    },
    "vi": {
        "groups": [
            (g, g)
            for g in (
                "phụ nữ",
                "người nhập cư",
                "người Hồi giáo",
                "người Do Thái",
                "người đồng tính",
                "người chuyển giới",
                "người da đen",
                "người khuyết tật",
            )
        ],
        "hate": [
            "Tôi ghét {o}.",
            "{n} là lũ ký sinh trùng ghê tởm.",
            "Phải giết hết {o}.",
            "{n} thấp kém và vô dụng.",
        ],
        "benign": [
            "Tôi rất ngưỡng mộ {o}.",
            "{n} xứng đáng có quyền như mọi người.",
            "Nói {n} là ký sinh trùng là phát ngôn thù hận và sai trái.",
            "Tôi không ghét {o}.",
            "Nhiều nhân viên hỗ trợ của chúng tôi là {n}.",
        ],
        "things": ["thứ Hai", "kẹt xe", "chờ máy điện thoại"],
        "thing_hate": "Tôi ghét {o}.",
    },
    "th": {
        "groups": [
            (g, g)
            for g in ("ผู้หญิง", "ผู้อพยพ", "มุสลิม", "ชาวยิว", "เกย์", "คนข้ามเพศ", "คนผิวดำ", "คนพิการ")
        ],
        "hate": ["ฉันเกลียด{o}", "{n}เป็นพวกปรสิตที่น่ารังเกียจ", "ต้องฆ่า{o}ให้หมด", "{n}ต่ำต้อยและไร้ค่า"],
        "benign": [
            "ฉันชื่นชม{o}มาก",
            "{n}ควรได้รับสิทธิเท่าเทียมกับทุกคน",
            "การพูดว่า{n}เป็นปรสิตเป็นคำพูดแสดงความเกลียดชังและผิด",
            "ฉันไม่ได้เกลียด{o}",
            "ทีมบริการลูกค้าของเรามี{n}หลายคน",
        ],
        "things": ["วันจันทร์", "รถติด", "การรอสายโทรศัพท์"],
        "thing_hate": "ฉันเกลียด{o}",
    },
}


def _first_upper(s: str) -> str:
    return s[:1].upper() + s[1:]


def rows() -> list[dict]:
    out = []
    for lang, spec in LANGS.items():
        for n, o in spec["groups"]:
            for label, templates in (("hate", spec["hate"]), ("benign", spec["benign"])):
                for t in templates:
                    text = _first_upper(t.format(n=n, o=o))
                    out.append({"text": text, "language": lang, "category": label})
        for thing in spec["things"]:
            text = _first_upper(spec["thing_hate"].format(o=thing))
            out.append({"text": text, "language": lang, "category": "benign"})
    return out


def main() -> None:
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows():
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
