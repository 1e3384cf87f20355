"""What the bot says, in the customer's language, when the knowledge base has no answer."""

from __future__ import annotations

NO_SOURCE: dict[str, str] = {
    "en": "I'm sorry, I don't have information about that. Would you like to talk to a person "
    "from our team?",
    "de": "Dazu habe ich leider keine Informationen. Möchten Sie mit einer Person aus unserem "
    "Team sprechen?",
    "fr": "Désolé, je n'ai pas d'information à ce sujet. Voulez-vous parler à une personne de "
    "notre équipe ?",
    "es": "Lo siento, no tengo información sobre eso. ¿Quiere hablar con una persona de nuestro "
    "equipo?",
    "pt": "Desculpe, não tenho informações sobre isso. Quer falar com uma pessoa da nossa equipa?",
    "it": "Mi dispiace, non ho informazioni su questo. Vuole parlare con una persona del nostro "
    "team?",
    "nl": "Sorry, daar heb ik geen informatie over. Wilt u met iemand van ons team praten?",
    "pl": "Przepraszam, nie mam informacji na ten temat. Czy chcesz porozmawiać z kimś z "
    "naszego zespołu?",
    "tr": "Üzgünüm, bu konuda bilgim yok. Ekibimizden biriyle görüşmek ister misiniz?",
    "ru": "К сожалению, у меня нет информации об этом. Хотите поговорить с сотрудником нашей "
    "команды?",
    "uk": "На жаль, я не маю інформації про це. Бажаєте поговорити з працівником нашої команди?",
    "sv": "Tyvärr har jag ingen information om det. Vill du prata med någon i vårt team?",
    "zh": "抱歉，我没有这方面的信息。您想和我们团队的工作人员交谈吗？",
    "ja": "申し訳ありませんが、その件についての情報がありません。担当者とお話しになりますか？",
    "ko": "죄송하지만 그에 대한 정보가 없습니다. 저희 팀 상담원과 이야기하시겠어요?",
    "ar": "عذرًا، لا تتوفر لدي معلومات عن ذلك. هل تود التحدث مع أحد أعضاء فريقنا؟",
    "hi": "क्षमा करें, मेरे पास इसके बारे में जानकारी नहीं है। क्या आप हमारी टीम के किसी व्यक्ति से बात करना चाहेंगे?",
    "vi": "Xin lỗi, tôi không có thông tin về vấn đề đó. Bạn có muốn nói chuyện với nhân viên "
    "của chúng tôi không?",
    "id": "Maaf, saya tidak punya informasi tentang itu. Apakah Anda ingin berbicara dengan "
    "tim kami?",
    "th": "ขออภัย ฉันไม่มีข้อมูลเกี่ยวกับเรื่องนั้น คุณต้องการคุยกับเจ้าหน้าที่ของเราไหม",
}


def no_source(language: str) -> str:
    """ "I don't have that information" and the offer of a person, in ``language``."""
    return NO_SOURCE.get((language or "en").split("-")[0].lower(), NO_SOURCE["en"])


# Short, friendly answers to small talk, by kind, for deployments whose model is a base model
# (it continues a greeting with whatever the examples suggest).
SMALL_TALK: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hello! How can I help you today?",
        "de": "Hallo! Wie kann ich Ihnen helfen?",
        "fr": "Bonjour ! Comment puis-je vous aider ?",
        "es": "¡Hola! ¿En qué puedo ayudarle?",
        "pt": "Olá! Como posso ajudar?",
        "it": "Ciao! Come posso aiutarla?",
        "nl": "Hallo! Waarmee kan ik u helpen?",
        "pl": "Dzień dobry! W czym mogę pomóc?",
        "tr": "Merhaba! Size nasıl yardımcı olabilirim?",
        "ru": "Здравствуйте! Чем могу помочь?",
        "uk": "Вітаю! Чим можу допомогти?",
        "sv": "Hej! Hur kan jag hjälpa dig?",
        "zh": "您好！有什么可以帮您的吗？",
        "ja": "こんにちは！ご用件をお聞かせください。",
        "ko": "안녕하세요! 무엇을 도와드릴까요?",
        "ar": "مرحبًا! كيف يمكنني مساعدتك؟",
    },
    "thanks": {
        "en": "You're welcome! Is there anything else I can help with?",
        "de": "Gern geschehen! Kann ich sonst noch helfen?",
        "fr": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        "es": "¡De nada! ¿Puedo ayudarle con algo más?",
        "pt": "De nada! Posso ajudar com mais alguma coisa?",
        "it": "Prego! Posso aiutarla in altro?",
        "nl": "Graag gedaan! Kan ik u nog ergens mee helpen?",
        "pl": "Proszę bardzo! Czy mogę pomóc w czymś jeszcze?",
        "tr": "Rica ederim! Başka bir konuda yardımcı olabilir miyim?",
        "ru": "Пожалуйста! Могу ли я помочь чем-то ещё?",
        "uk": "Будь ласка! Чим ще можу допомогти?",
        "sv": "Varsågod! Kan jag hjälpa till med något mer?",
        "zh": "不客气！还有什么可以帮您的吗？",
        "ja": "どういたしまして！ほかにご用件はありますか？",
        "ko": "천만에요! 더 도와드릴 일이 있을까요?",
        "ar": "على الرحب والسعة! هل يمكنني مساعدتك في شيء آخر؟",
    },
    "bye": {
        "en": "Goodbye, and have a nice day!",
        "de": "Auf Wiedersehen und einen schönen Tag!",
        "fr": "Au revoir et bonne journée !",
        "es": "¡Adiós y que tenga un buen día!",
        "pt": "Adeus e tenha um bom dia!",
        "it": "Arrivederci e buona giornata!",
        "nl": "Tot ziens en een fijne dag!",
        "pl": "Do widzenia i miłego dnia!",
        "tr": "Hoşça kalın, iyi günler!",
        "ru": "До свидания и хорошего дня!",
        "uk": "До побачення і гарного дня!",
        "sv": "Hej då och ha en fin dag!",
        "zh": "再见，祝您愉快！",
        "ja": "さようなら。良い一日を！",
        "ko": "안녕히 가세요. 좋은 하루 보내세요!",
        "ar": "مع السلامة، أتمنى لك يومًا سعيدًا!",
    },
    "bot": {
        "en": "I'm the shop's virtual assistant. I can answer questions about orders, delivery, "
        "returns and your account, and bring in a person from our team if you'd like.",
        "de": "Ich bin der virtuelle Assistent des Shops. Ich beantworte Fragen zu Bestellungen, "
        "Versand, Rücksendungen und Ihrem Konto und hole gern eine Person aus unserem Team dazu.",
        "fr": "Je suis l'assistant virtuel de la boutique. Je réponds aux questions sur les "
        "commandes, la livraison, les retours et votre compte, et je peux faire venir une "
        "personne de notre équipe.",
        "es": "Soy el asistente virtual de la tienda. Respondo preguntas sobre pedidos, envíos, "
        "devoluciones y su cuenta, y puedo pasarle con una persona de nuestro equipo.",
        "ru": "Я виртуальный помощник магазина. Отвечаю на вопросы о заказах, доставке, "
        "возвратах и аккаунте и могу позвать сотрудника нашей команды.",
    },
}


def small_talk(kind: str, language: str) -> str:
    """A short answer to a greeting, thanks, goodbye or "are you a bot?" in ``language``."""
    table = SMALL_TALK.get(kind, SMALL_TALK["greeting"])
    base = (language or "en").split("-")[0].lower()
    return table.get(base) or SMALL_TALK["greeting"].get(base) or table["en"]
