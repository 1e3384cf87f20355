"""Very common words per Latin-script language, used as extra evidence on short chat text.

The lists are written from general knowledge of each language (function words, pronouns,
greetings, question words and a few customer-support words); they are not taken from any
evaluation set. A word may appear in several lists: it then supports all of them, which is
still evidence against the languages that lack it. Tokens are lowercase letter runs, so
elided forms appear split ("c'est" -> "c", "est"; "don't" -> "don", "t").
"""

from __future__ import annotations

_RAW: dict[str, str] = {
    "en": """
        the a an and or but is are was were be been am i you he she it we they me my your our
        their this that these those what where when why how who which can could would should
        will do does did have has had not no yes please thanks thank hello hi hey help need
        want with for from of to in on at about get got there here just still don didn doesn
        isn wasn won im ive let us any some order account refund payment delivery
        package problem received know tell sorry good morning evening anyone again been if
        """,
    "de": """
        der die das den dem des ein eine einen einem einer und oder aber ist sind war bin bist
        hat habe haben hast ich du er sie es wir ihr mein meine meinen mich mir dich dir nicht
        kein keine ja nein bitte danke hallo wie wo was warum wann wer mit für von zu zum zur
        auf im ins noch schon auch nur kann können möchte will wurde werden bestellung paket
        hilfe guten tag morgen abend geht gibt über nach bei aus ihnen sich mal gerne leider
        heute gestern jetzt dass wenn noch schön welche welcher mache mach
        """,
    "nl": """
        de het een en of maar is zijn was ben bent heb hebt heeft hebben ik jij je u hij zij ze
        wij we mijn mij me jouw uw niet geen ja nee alsjeblieft alstublieft dank bedankt hallo
        hoi hoe waar wat waarom wanneer wie met voor van naar op aan bij uit ook nog al kan
        kunnen wil wilt graag bestelling pakket hulp goedemorgen dag dit dat deze die er mag
        moet even zou worden wordt gisteren vandaag morgen niks niets welke
        """,
    "da": """
        og i jeg du han hun den det de vi mig min mit mine din dit dig sig er var har have ikke
        nej ja tak hej hvad hvor hvorfor hvornår hvem hvordan med til fra på af for en et kan
        vil skal gerne også meget godt bestilling pakke hjælp hjælpe venlig hilsen noget nogen
        efter jer os jeres deres være blevet bliver endnu allerede nu måske kunne ville skulle
        """,
    "no": """
        og i jeg du han hun den det de vi meg min mitt mine din ditt deg seg er var har ha ikke
        nei ja takk hei hva hvor hvorfor når hvem hvordan med til fra på av for en et ei kan
        vil skal gjerne også mye godt bestilling pakke hjelp hjelpe vennlig hilsen noe noen
        etter å dere oss være blitt blir ennå allerede nå kanskje kunne ville skulle eg ikkje
        kva korleis kvar ho dei me ein eit mykje berre frå
        """,
    "sv": """
        och i jag du han hon den det de vi mig mitt min mina din ditt dig sig är var har ha inte
        nej ja tack hej hallå vad varför när vem hur med till från på av för en ett kan vill
        ska skulle gärna också mycket bra beställning paket hjälp hjälpa vänliga hälsningar
        något någon efter att ni oss er vara blivit blir ännu redan nu kanske kunde ville inga
        """,
    "it": """
        il lo la i gli le un uno una e o ma è sono era ho hai ha abbiamo io tu lui lei noi voi
        loro mio mia miei mie tuo tua non no sì si grazie ciao buongiorno buonasera per favore
        come dove cosa perché quando chi con da di del della dei delle al alla nel nella che
        anche ancora posso può vorrei voglio ordine pacco aiuto questo questa quello c dov
        l mi ti ci vi sul sulla qual quale oggi domani ieri molto tutto essere fare
        """,
    "es": """
        el la los las un una unos unas y o pero es son está están era soy estoy he ha hay yo tú
        usted él ella nosotros mi mis tu su sus no sí gracias hola buenos buenas días por
        favor cómo dónde qué cuándo quién con para de del al en que también todavía puedo
        puede quiero necesito pedido paquete ayuda este esta eso muy me te se le lo ya hoy
        mañana ayer cuál cual ser hacer
        """,
    "pt": """
        o a os as um uma e ou mas é são está estão era sou estou tenho tem eu você ele ela nós
        meu minha meus minhas não sim obrigado obrigada olá oi bom dia boa tarde noite por
        favor como onde que quando quem com para de do da dos das no na em ao também ainda
        posso pode quero preciso pedido encomenda pacote ajuda este esta isso muito me te se
        lhe já hoje amanhã ontem qual ser fazer vocês
        """,
    "fr": """
        le la les un une des et ou mais est sont était suis es ai as a avons je tu il elle nous
        vous ils elles mon ma mes ton ta votre vos ne pas non oui merci bonjour bonsoir salut
        plaît comment où quoi que pourquoi quand qui avec pour de du au aux en dans sur aussi
        encore peux peut veux voudrais besoin commande colis aide ce cette c j l qu d n s y
        moi toi très aujourd hui demain hier quel quelle être faire
        """,
    "id": """
        yang dan atau tetapi tapi adalah ini itu saya aku anda kamu dia kami kita mereka tidak
        bukan ya ada terima kasih halo selamat pagi siang malam tolong bagaimana di mana apa
        mengapa kenapa kapan siapa dengan untuk dari ke pada juga masih bisa dapat mau ingin
        pesanan paket bantuan sudah belum karena bahwa saja uang yaitu nomor telepon akun
        layanan perusahaan gratis mobil kota nggak gak enggak dong sih kok banget hari besok
        """,
    "ms": """
        yang dan atau tetapi tapi adalah ialah ini itu saya aku anda awak dia kami kita mereka
        tidak tak bukan ya ada terima kasih helo selamat pagi tengah hari malam tolong
        bagaimana di mana apa mengapa kenapa bila siapa dengan untuk dari ke pada juga masih
        boleh dapat mahu ingin pesanan bungkusan bantuan sudah belum kerana bahawa sahaja wang
        iaitu daripada nombor telefon akaun perkhidmatan syarikat percuma kereta bandar
        kerajaan selepas pelbagai semasa antarabangsa sentiasa hendak esok encik puan
        """,
    "tr": """
        ve veya ama bir bu şu o ben sen biz siz onlar benim senin bizim değil evet hayır
        teşekkür teşekkürler ederim merhaba selam günaydın lütfen nasıl nerede ne neden niçin
        zaman kim ile için da de mi mı mu mü çok var yok sipariş siparişim paket kargo yardım
        istiyorum olan gibi daha sonra bugün yarın dün hangi nedir
        """,
    "lt": """
        ir ar bet yra buvo esu aš tu jis ji mes jūs jie mano tavo mūsų ne taip ačiū labas
        sveiki laba diena prašau kaip kur kas kodėl kada su už iš į prie apie dar jau galiu
        gali noriu reikia užsakymas siuntinys pagalba tai šis ši kad man tau mane šiandien
        rytoj vakar koks kokia
        """,
    "pl": """
        i a w z na do nie tak jest są był była jestem ja ty on ona my wy oni mój moja moje
        twój się to że co jak gdzie dlaczego kiedy kto dziękuję dzięki cześć dzień dobry
        proszę ze dla od po przez o też jeszcze już mogę może chcę potrzebuję zamówienie
        paczka pomoc ten ta czy mi mnie dzisiaj jutro wczoraj jaki jaka
        """,
    "cs": """
        a i v ve na do ne ano je jsou byl byla jsem já ty on ona my vy oni můj moje tvůj se to
        že co jak kde proč kdy kdo děkuji díky ahoj dobrý den prosím s z pro od po přes o také
        ještě už můžu mohu může chci potřebuji objednávka balík pomoc tento tato jestli mi mě
        dnes zítra včera jaký jaká
        """,
    "fi": """
        ja tai mutta on ovat oli olen minä sinä hän me te he minun sinun meidän ei kyllä joo
        kiitos kiitti hei moi terve päivää miten missä mitä miksi milloin kuka kanssa varten
        että myös vielä jo voin voi haluan tarvitsen tilaus paketti apua tämä se mikä kun
        tänään huomenna eilen
        """,
    "hu": """
        a az és vagy de van volt vagyok én te ő mi ti ők nem igen köszönöm köszi szia helló jó
        napot kérem kérlek hogyan hol miért mikor ki is még már tudok tud szeretnék akarok
        kell rendelés rendelésem csomag segítség ez egy hogy meg ma holnap tegnap milyen
        """,
    "ro": """
        și sau dar este sunt era am ai are eu tu el ea noi voi ei meu mea mei nu da mulțumesc
        mersi bună salut ziua vă rog te cum unde ce când cine cu pentru din la în pe încă deja
        pot poate vreau nevoie comanda comandă colet coletul ajutor acest această că un o
        azi astăzi mâine ieri care
        """,
    "vi": """
        tôi bạn anh chị em và hoặc nhưng là có không được của cho với từ trong này đó gì đâu
        sao khi nào ai xin cảm ơn chào giúp đơn hàng gói cần muốn vui lòng đã chưa rồi nhé ạ
        toi ban khong duoc cam on chao giup can muon
        """,
    # Shared-script languages outside Latin: the marker letters settle most messages, these
    # settle the rest.
    "ar": """
        في من على إلى الى أن ان هذا هذه ما هل لا مع عن كان كل التي الذي هو هي أنا انا أنت نحن
        لم لن قد ذلك بعد قبل عند أو او ثم شكرا مرحبا السلام عليكم أريد اريد كيف أين اين متى
        لماذا طلبي الطلب مساعدة غدا اليوم لي لك
        """,
    "fa": """
        و در به از که این آن را با است هست برای تا یک من تو او ما شما آنها نه بله ممنون مرسی
        سلام خوبی چطور کجا کی چرا چه می نمی هم یا اما بود شد کرد کنم کنید دارم دارید سفارش
        کمک فردا امروز خیلی
        """,
    "ru": """
        и в не на я что он с как а то все она так его но да ты к у же вы за бы по только ее
        мне было вот от меня еще нет о из ему когда ну ли если уже или быть был до вас
        здравствуйте привет спасибо пожалуйста где мой заказ помощь помогите почему сегодня
        завтра это
        """,
    "uk": """
        і й в у не на я що він з як а то все вона так його але ти до ви за б по тільки її
        мені було ось від мене ще ні о йому коли ну чи якщо вже або бути був вас вітаю привіт
        дякую будь ласка де мій замовлення допомога допоможіть чому сьогодні завтра це
        """,
}

# Messages made only of these carry no language evidence ("ok", "lol"), so they defer to the
# conversation's prior instead of whatever language's n-grams happen to contain them.
NEUTRAL_WORDS: frozenset[str] = frozenset(
    "ok okay okey k kk lol haha hahaha xd thx pls plz ty brb omg wow hmm hm ah oh eh uh um"
    " mm xx x ps re fw fwd".split()
)

COMMON_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in _RAW.items()
}

# Derivational endings that separate Malay from Indonesian spelling: "komuniti/kualiti"
# versus "komunitas/kualitas".
MALAY_SUFFIXES: tuple[str, ...] = ("iti",)
INDONESIAN_SUFFIXES: tuple[str, ...] = ("itas",)
