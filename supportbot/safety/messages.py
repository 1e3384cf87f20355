"""What the customer reads when the safety filter steps in, in their language."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # The bot steps back and a person takes over: a stopped reply, or a message that needs a
    # person (a threat, a crime) but not the caring words.
    "handover": {
        "en": "Sorry, I can't answer that here. A colleague will take over this conversation.",
        "de": "Entschuldigung, darauf kann ich hier nicht antworten. Ein Kollege übernimmt das Gespräch.",
        "fr": "Désolé, je ne peux pas répondre à cela ici. Un collègue va reprendre cette conversation.",
        "es": "Lo siento, no puedo responder a eso aquí. Un compañero continuará esta conversación.",
        "pt": "Desculpe, não posso responder a isso aqui. Um colega vai assumir esta conversa.",
        "it": "Mi dispiace, non posso rispondere a questo qui. Un collega prenderà in carico la conversazione.",
        "nl": "Sorry, daar kan ik hier niet op antwoorden. Een collega neemt dit gesprek over.",
        "ru": "Извините, я не могу ответить на это здесь. Коллега продолжит этот разговор.",
        "zh": "抱歉，我无法在这里回答这个问题。同事会接手这段对话。",
        "ja": "申し訳ありませんが、ここではお答えできません。担当者がこの会話を引き継ぎます。",
        "ko": "죄송하지만 여기서는 답변드릴 수 없습니다. 동료가 이 대화를 이어받겠습니다.",
        "ar": "عذرًا، لا يمكنني الإجابة عن ذلك هنا. سيتولى أحد الزملاء هذه المحادثة.",
        "hi": "क्षमा करें, मैं यहाँ इसका उत्तर नहीं दे सकता। एक सहकर्मी यह बातचीत संभालेंगे।",
        "vi": "Xin lỗi, tôi không thể trả lời điều đó ở đây. Một đồng nghiệp sẽ tiếp nhận cuộc trò chuyện này.",
        "th": "ขออภัย ฉันไม่สามารถตอบเรื่องนี้ที่นี่ได้ เพื่อนร่วมงานจะดูแลการสนทนานี้ต่อ",
        "tr": "Üzgünüm, buna burada yanıt veremem. Bir meslektaşım bu görüşmeyi devralacak.",
    },
    # A customer message was refused (injection, abuse): no model reply.
    "input_blocked": {
        "en": "Sorry, I can't help with that. Is there anything about your order or account I can do for you?",
        "de": "Dabei kann ich leider nicht helfen. Kann ich Ihnen bei Ihrer Bestellung oder Ihrem Konto helfen?",
        "fr": "Désolé, je ne peux pas vous aider avec cela. Puis-je vous aider pour votre commande ou votre compte ?",
        "es": "Lo siento, no puedo ayudar con eso. ¿Puedo ayudarte con tu pedido o tu cuenta?",
        "pt": "Desculpe, não posso ajudar com isso. Posso ajudar com seu pedido ou sua conta?",
        "it": "Mi dispiace, non posso aiutarti con questo. Posso aiutarti con il tuo ordine o il tuo account?",
        "nl": "Sorry, daar kan ik niet mee helpen. Kan ik je helpen met je bestelling of account?",
        "ru": "Извините, с этим я помочь не могу. Могу ли я помочь с вашим заказом или аккаунтом?",
        "zh": "抱歉，我无法帮助处理这个请求。有关订单或账户的问题我可以帮您吗？",
        "ja": "申し訳ありませんが、そのご依頼にはお応えできません。ご注文やアカウントについてお手伝いできることはありますか？",
        "ko": "죄송하지만 그 요청은 도와드릴 수 없습니다. 주문이나 계정에 관해 도와드릴 일이 있을까요?",
        "ar": "عذرًا، لا يمكنني المساعدة في ذلك. هل يمكنني مساعدتك بشأن طلبك أو حسابك؟",
        "hi": "क्षमा करें, मैं इसमें मदद नहीं कर सकता। क्या मैं आपके ऑर्डर या खाते में मदद कर सकता हूँ?",
        "vi": "Xin lỗi, tôi không thể giúp việc đó. Tôi có thể giúp gì về đơn hàng hoặc tài khoản của bạn không?",
        "th": "ขออภัย ฉันช่วยเรื่องนั้นไม่ได้ มีอะไรเกี่ยวกับคำสั่งซื้อหรือบัญชีของคุณที่ฉันช่วยได้ไหม",
        "tr": "Üzgünüm, bu konuda yardımcı olamam. Siparişiniz veya hesabınızla ilgili yardımcı olabileceğim bir şey var mı?",
    },
    # Self-harm or a person in distress: care first, then a human.
    "care": {
        "en": "I'm really sorry you're going through this. You're not alone: I'm bringing in a person from our team right now. If you are in immediate danger, please call your local emergency number.",
        "de": "Es tut mir sehr leid, dass es Ihnen so geht. Sie sind nicht allein: Ich hole sofort eine Person aus unserem Team dazu. Wenn Sie in akuter Gefahr sind, rufen Sie bitte den Notruf 112 an.",
        "fr": "Je suis vraiment désolé que vous traversiez cela. Vous n'êtes pas seul : je fais venir une personne de notre équipe tout de suite. Si vous êtes en danger immédiat, appelez le 112.",
        "es": "Siento mucho que estés pasando por esto. No estás solo: ahora mismo te pongo en contacto con una persona de nuestro equipo. Si estás en peligro inmediato, llama al número de emergencias local.",
        "pt": "Sinto muito que você esteja passando por isso. Você não está sozinho: vou chamar agora uma pessoa da nossa equipe. Se estiver em perigo imediato, ligue para o número de emergência local.",
        "it": "Mi dispiace davvero che tu stia attraversando questo momento. Non sei solo: sto chiamando subito una persona del nostro team. Se sei in pericolo immediato, chiama il 112.",
        "nl": "Het spijt me heel erg dat je dit doormaakt. Je staat er niet alleen voor: ik haal nu iemand van ons team erbij. Ben je in direct gevaar, bel dan 112.",
        "ru": "Мне очень жаль, что вам сейчас так тяжело. Вы не одни: я прямо сейчас подключаю сотрудника нашей команды. Если вы в непосредственной опасности, позвоните в экстренную службу.",
        "zh": "听到您正在经历这些，我真的很难过。您并不孤单：我现在就请我们团队的同事来陪您。如果您处于紧急危险中，请立即拨打当地的急救电话。",
        "ja": "つらい思いをされていて、本当にお気の毒です。あなたは一人ではありません。今すぐ私たちのスタッフにおつなぎします。差し迫った危険がある場合は、地域の緊急番号に電話してください。",
        "ko": "이런 일을 겪고 계셔서 정말 마음이 아픕니다. 혼자가 아닙니다. 지금 바로 저희 팀 담당자를 연결해 드리겠습니다. 긴급한 위험에 처해 있다면 지역 긴급 번호로 전화해 주세요.",
        "ar": "يؤسفني حقًا أنك تمر بهذا. لست وحدك: سأستدعي الآن أحد أفراد فريقنا. إذا كنت في خطر مباشر، فيرجى الاتصال برقم الطوارئ المحلي.",
        "hi": "मुझे सच में दुख है कि आप इससे गुज़र रहे हैं। आप अकेले नहीं हैं: मैं अभी हमारी टीम के एक व्यक्ति को जोड़ रहा हूँ। अगर आप तत्काल ख़तरे में हैं, तो कृपया 112 पर कॉल करें।",
        "vi": "Tôi thật sự rất tiếc khi bạn đang trải qua điều này. Bạn không đơn độc: tôi đang kết nối bạn với một người trong nhóm của chúng tôi ngay bây giờ. Nếu bạn đang gặp nguy hiểm, hãy gọi số khẩn cấp tại địa phương.",
        "th": "เสียใจจริง ๆ ที่คุณกำลังเผชิญเรื่องนี้ คุณไม่ได้อยู่คนเดียว ฉันกำลังเชื่อมต่อคุณกับเจ้าหน้าที่ของเราทันที หากคุณอยู่ในอันตรายเร่งด่วน โปรดโทรหาหมายเลขฉุกเฉินในพื้นที่",
        "tr": "Bunu yaşadığınız için gerçekten çok üzgünüm. Yalnız değilsiniz: Hemen ekibimizden birini bağlıyorum. Acil bir tehlike içindeyseniz lütfen 112'yi arayın.",
    },
}


def message(kind: str, language: str) -> str:
    texts = MESSAGES[kind]
    return texts.get((language or "en").split("-")[0].lower(), texts["en"])
