"""Very common words per language, used as extra evidence on short chat text.

The lists are written from general knowledge of each language (function words, pronouns,
greetings and closings, question words, a few customer-support words, and for German and
Norwegian some colloquial and dialect spellings common in chat); they are not taken from any
evaluation set. Malay and Indonesian, which langdetect cannot tell apart, get the well-known
vocabulary and spelling differences between the two standards. A word may appear in several
lists: it then supports all of them, which is still evidence against the languages that lack
it. Tokens are lowercase letter runs, so elided forms appear split ("c'est" -> "c", "est").
"""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_RAW: dict[str, str] = {
    "en": """
        the be to of and a in that have i it for not on with he as you do at this but his by
        from they we say her she or an will my one all would there their what so up out if
        about who get which go me when make can like time no just him know take people into
        year your good some could them see other than then now look only come its over think
        also back after use two how our work first well way even new want because any these
        give day most us is are was were been has had did does am please thanks thank hello
        hi hey help need order account refund payment delivery package problem still here
        don didn doesn isn wasn won yes sorry why where should tell got let
        thanks thank you cheers regards kind best dear bye goodbye welcome
        """,
    "de": """
        der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch
        es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über
        einen so zum war haben nur oder aber vor zur bis mehr durch man sein wurde sei hier
        jetzt ich du wir ihr mein meine mich mir dich dir kein keine ja nein bitte danke hallo
        wo was warum wann wer können kann möchte will bestellung paket hilfe guten tag morgen
        abend geht gibt heute gestern wenn schon mal gerne leider alle alles welche diese
        dieser ihnen uns euch bin bist habe hast
        hab gibts gehts nich nix grüezi servus isch nöd nid öppis hüt
        vielen dank danke schön vielmals grüße gruß freundlichen herzlichen liebe lieber sehr
        geehrte geehrter tschüss wiedersehen moin
        """,
    "nl": """
        de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er
        maar om hem dan zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit
        daar haar naar heb hoe heeft hebben deze u want nog zal me zij nu geen omdat iets
        worden toch al waren veel meer doen toen moet ben zonder kan hun dus alles onder ja
        eens hier wie werd altijd wordt kunnen ons zelf tegen na wil kon niets uw iemand
        geweest andere nee alsjeblieft alstublieft dank bedankt hallo hoi waar waarom wanneer
        graag bestelling pakket hulp vandaag morgen gisteren welke alle even mag jij jouw
        hartelijk groet groeten vriendelijke beste geachte ziens doei goedendag
        """,
    "da": """
        og i jeg det at en den til er som på de med han af for ikke der var mig sig men et har
        om vi min havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad
        skal selv her alle vil blev kunne ind når være dog noget ville jo deres efter ned
        skulle denne end dette mit også under have dig anden hende mine alt meget sit sine mod
        disse hvis din nogle hos blive mange bliver hendes været jer sådan hvorfor hvornår
        hvem hvordan nej ja tak hej bestilling pakke hjælp hjælpe gerne venlig hilsen måske
        mange venlig hilsen kære farvel goddag
        kun ved bare fordi før siden samme ingen hver begge både god
        """,
    "no": """
        og i jeg det at en et den til er som på de med han av ikke der så var meg seg men har
        om vi min mitt ha hadde hun nå over da ved fra du ut sin dem oss opp man kan hans hvor
        eller hva skal selv her alle vil bli ble blitt kunne inn når være kom noen noe ville
        dere deres kun ja etter ned skulle denne for deg sine sitt mot å dette disse uten
        hvordan ingen din ditt blir samme hvilken hvilke mellom vår hver hvem hvis både bare
        enn fordi før mange også slik vært begge siden hvorfor nei takk hei hjelp hjelpe
        bestilling pakke gjerne mye kanskje dei ein eit eg ikkje kva korleis kvar ho mykje
        berre frå æ mæ dæ ka koss kor kordan itj
        mange vennlig hilsen kjære god morn
        """,
    "sv": """
        och det att i en jag hon som han på den med var sig för så till är men ett om hade de
        av inte mig du henne då sin nu har hans honom skulle hennes där min man vid kunde
        något från ut när efter upp vi dem vara vad över än dig kan sina här ha mot alla under
        någon eller allt mycket sedan denna själv detta åt utan varit hur ingen mitt ni bli
        blev oss din dessa några deras blir mina samma vilken er sådan vår blivit mellan
        varför varje vilka ditt vem vilket vårt våra nej ja tack hej hallå hjälp hjälpa
        beställning paket gärna också bra kanske
        hälsning kära hejdå adjö god
        """,
    "it": """
        ad al allo ai agli alla alle con col da dal dallo dai dagli dalla dalle di del dello
        dei degli della delle in nel nello nei negli nella nelle su sul sullo sui sugli sulla
        sulle per tra io tu lui lei noi voi loro mio mia miei mie tuo tua suo sua suoi sue
        nostro nostra vostro questo questa questi queste quello quella chi cui non più quale
        quanto come dove quando perché anche ancora già sempre molto tutto tutti il lo la i
        gli le un uno una e o ma è sono era ho hai ha abbiamo avete hanno sì si grazie ciao
        buongiorno buonasera favore cosa posso può vorrei voglio ordine pacco aiuto c dov l
        mi ti ci vi oggi domani ieri essere fare che
        mille cordiali saluti gentile caro cara arrivederci salve
        """,
    "es": """
        de la que el en y a los del se las por un para con no una su al lo como más pero sus
        le ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde
        quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos esto
        mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho nada muchos cual
        poco ella estar estas algo nosotros mi mis tú te ti tu tus es son está están era soy
        estoy he ha usted gracias hola buenos buenas días favor cómo dónde cuándo quién puedo
        puede quiero necesito pedido paquete ayuda hoy mañana ayer cuál ser hacer
        muchas saludos cordiales estimado estimada querido adiós
        """,
    "pt": """
        de a o que e do da em um para é com não uma os no se na por mais as dos como mas foi ao
        ele das tem à seu sua ou ser quando muito há nos já está eu também só pelo pela até
        isso ela entre era depois sem mesmo aos ter seus quem nas me esse eles estão você
        tinha foram essa num nem suas meu às minha têm numa pelos elas havia seja qual será
        nós tenho lhe deles essas esses pelas este dele tu te vocês meus minhas teu tua nosso
        nossa dela esta estes estas aquele aquela estou sou obrigado obrigada olá oi bom dia
        boa tarde noite favor onde posso pode quero preciso pedido encomenda pacote ajuda
        hoje amanhã ontem fazer sim
        cumprimentos atenciosamente prezado prezada caro tchau
        """,
    "fr": """
        au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais
        me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur
        ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été être avoir fait est
        sont était suis es ai as a avons avez ont non oui merci bonjour bonsoir salut plaît
        comment où quoi pourquoi quand cette aussi encore peux peut veux voudrais besoin
        commande colis aide très aujourd hui demain hier quel quelle faire
        beaucoup cordialement salutations cher chère madame monsieur revoir
        """,
    "id": """
        yang di dan itu dengan untuk tidak ini dari dalam akan pada juga saya ke tersebut ada
        mereka lebih kami sudah atau saat oleh menjadi orang ia telah adalah seperti sebagai
        dapat para namun kita dua satu masih hari hanya kata tahun sangat sehingga belum lagi
        apa bagi kalau ya aku anda kamu dia bukan terima kasih selamat pagi malam tolong
        bagaimana mana mengapa kenapa siapa ingin pesanan tapi tetapi
        karena bahwa saja yaitu mau uang sesudah pemerintah
        provinsi perusahaan pelayanan kantor universitas musik film proyek
        kualitas aktivitas komunitas matematika maret juni juli agustus desember bisa
        paham pikir berpikir pria toko tas kendaraan kampanye perbatasan parlemen pemilu
        nomor telepon pengiriman pengembalian akun unduh tagihan
        pajak asuransi halo kapan besok kemarin sore bapak mbak
        gimana udah aja banget kok dong sih nih gak nggak enggak kalo emang bener indonesia
        rupiah jakarta
        banyak salam hormat
        """,
    "ms": """
        yang di dan itu dengan untuk tidak ini dari dalam akan pada juga saya ke tersebut ada
        mereka lebih kami sudah atau oleh menjadi orang ia telah adalah seperti sebagai dapat
        para namun kita dua satu masih hari hanya kata tahun sangat sehingga belum lagi apa
        bagi kalau ya aku anda kamu dia bukan terima kasih selamat pagi malam tolong bagaimana saat
        mana mengapa kenapa siapa ingin pesanan tapi tetapi
        kerana bahawa sahaja iaitu mahu wang baharu selepas pelbagai
        syarikat perkhidmatan kakitangan setiausaha bilik
        basikal teksi hospital universiti muzik filem televisyen projek kualiti aktiviti
        komuniti matematik mac jun julai ogos disember faham fikir berfikir
        kanak percuma tandas beg kenderaan kempen sempadan persekutuan parlimen
        maklumat saiz nombor telefon penghantaran pulangan akaun tempahan bil cukai
        insurans manakala justeru sesiapa sebarang
        encik cik puan helo cuba
        malaysia ringgit
        banyak salam hormat
        """,
    "tr": """
        acaba ama aslında az bazı belki biri birkaç biz bu çok çünkü da daha de diye eğer en
        gibi hem hep hepsi her hiç için ile ise kez ki kim mı mu mü mi nasıl ne neden nerede
        nereye niçin niye o sanki şey siz şu tüm ve veya ya yani ben sen onlar benim senin
        bizim değil evet hayır teşekkür teşekkürler ederim merhaba selam günaydın lütfen zaman
        var yok sipariş siparişim paket kargo yardım istiyorum olan sonra bugün yarın dün
        hangi nedir bir
        sağ ol saygılar sevgiler hoşça kal görüşürüz
        """,
    "lt": """
        ir ar bet yra buvo esu aš tu jis ji mes jūs jie mano tavo mūsų ne taip ačiū labas
        sveiki laba diena prašau kaip kur kas kodėl kada su už iš į prie apie dar jau galiu
        gali noriu reikia užsakymas siuntinys pagalba tai šis ši kad man tau mane šiandien
        rytoj vakar koks kokia o nes kai jei bus būti savo jo jos juos per po iki tik labai
        visi viskas dėl nuo be tas ta tie
        pagarbiai viso gero
        """,
    "pl": """
        i w z na do nie się to że a o jak ale co jest po tak za od jego już tylko czy ja ty on
        ona my wy oni mój moja moje twój był była byli są jestem być może mogę ten ta te tego
        tej dla przez przy jeszcze też bardzo kiedy gdzie dlaczego kto dziękuję dzięki cześć
        dzień dobry proszę ze chcę potrzebuję zamówienie paczka pomoc mi mnie dzisiaj jutro
        wczoraj jaki jaka które który która ich nas was go jej im
        pozdrawiam pozdrowienia szanowny szanowna widzenia
        """,
    "cs": """
        a i v ve na do ne se to že jak ale co je po tak za od jeho už jen jsem jsi jsou byl
        byla bylo být může můžu mohu ten ta tento tato toho pro přes při ještě také velmi když
        kde proč kdo děkuji díky ahoj dobrý den prosím s z chci potřebuji objednávka balík
        pomoc mi mě mně dnes zítra včera jaký jaká který která které jejich nás vás jí jim já
        ty on ona my vy oni můj moje tvůj ano
        moc mockrát pozdravem vážený vážená shledanou
        """,
    "fi": """
        ja on ei se että oli ovat olla hän minä sinä me te he mutta tai kun jos niin kuin myös
        vielä jo nyt sitten vain kanssa mukaan tämä tuo nämä ne mikä mitä missä miten miksi
        milloin kuka joka jotka olen olet olemme minun sinun meidän hänen heidän kyllä joo
        kiitos kiitti hei moi terve päivää varten voin voi haluan tarvitsen tilaus paketti
        apua tänään huomenna eilen paljon
        ystävällisin terveisin hyvä näkemiin
        """,
    "hu": """
        a az és hogy nem is egy meg de van volt csak már még ha ki mi ez azt ezt amit mint vagy
        el fel le be kell lesz sem majd most pedig én te ő ti ők vagyok vagyunk igen köszönöm
        köszi szia helló jó napot kérem kérlek hogyan hol miért mikor tudok tud szeretnék
        akarok rendelés rendelésem csomag segítség ma holnap tegnap milyen nagyon minden
        szépen üdvözlettel tisztelt kedves viszlát
        """,
    "ro": """
        și în de la cu pe nu o un că a ce din mai care sunt este fi au ai am ar era eu tu el
        ea noi voi ei ele meu mea mei mele tău ta său sa nostru vostru lor acest această
        aceasta acesta acum când cum unde cine pentru sau dar dacă foarte fără doar încă deja
        pot poate vreau nevoie comanda comandă colet coletul ajutor mulțumesc mersi bună salut
        ziua vă rog te azi astăzi mâine ieri da
        mult stimă salutări stimate dragă revedere
        """,
    "vi": """
        tôi bạn anh chị em và hoặc nhưng là có không được của cho với từ trong này đó gì đâu
        sao khi nào ai xin cảm ơn chào giúp đơn hàng gói cần muốn vui lòng đã chưa rồi nhé ạ
        các người những đến để một thì cũng như ra sẽ rất nhiều toi ban khong duoc cam on chao
        giup can muon
        nhiều trân trọng kính gửi tạm biệt
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
NEUTRAL_WORDS: frozenset[str] = word_set(
    "ok okay okey k kk lol haha hahaha xd thx pls plz ty brb omg wow hmm hm ah oh eh uh um"
    " mm xx x ps re fw fwd"
)

COMMON_WORDS: dict[str, frozenset[str]] = {lang: word_set(words) for lang, words in _RAW.items()}

# Spelling conventions that separate close neighbours, checked on words longer than five
# letters: Malay "komuniti/kualiti" against Indonesian "komunitas/kualitas"; Norwegian
# "informasjon/sikkerhet" against Danish "information/sikkerhed" (Swedish "säkerhet").
SUFFIXES: dict[str, tuple[str, ...]] = {
    "ms": ("iti",),
    "id": ("itas",),
    "no": ("sjon", "sjonen", "sjoner", "het", "heten"),
    "sv": ("het", "heten"),
    "da": ("hed", "heden"),
}
