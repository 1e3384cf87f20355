"""What the widget tells the customer when people take over, and the CSAT question, per language.

The server sends these strings in frames (``handoff.notice``, ``csat.request``) so the widget and
the conversation agree on one language: the conversation's.
"""

from __future__ import annotations

KEYS = (
    "waiting",  # escalated, an agent is online
    "offline",  # escalated, nobody online: leave contact details
    "joined",  # {agent} joined
    "bot_again",  # handed back to the bot
    "resolved",
    "csat_question",
    "csat_comment",
    "csat_submit",
    "csat_thanks",
)

_TEXTS: dict[str, tuple[str, ...]] = {
    "en": (
        "A person from our team will join this chat shortly.",
        "Nobody from our team is available right now. Leave your email or phone number and we "
        "will get back to you.",
        "{agent} from our team has joined the chat.",
        "You're chatting with our assistant again.",
        "This conversation has been closed.",
        "How would you rate the help you received?",
        "Anything you'd like to add? (optional)",
        "Send",
        "Thank you for your feedback!",
    ),
    "de": (
        "Gleich übernimmt eine Person aus unserem Team diesen Chat.",
        "Gerade ist niemand aus unserem Team erreichbar. Hinterlassen Sie Ihre E-Mail-Adresse "
        "oder Telefonnummer, wir melden uns.",
        "{agent} aus unserem Team ist dem Chat beigetreten.",
        "Sie chatten wieder mit unserem Assistenten.",
        "Dieses Gespräch wurde beendet.",
        "Wie bewerten Sie die Hilfe, die Sie erhalten haben?",
        "Möchten Sie noch etwas ergänzen? (optional)",
        "Senden",
        "Vielen Dank für Ihr Feedback!",
    ),
    "fr": (
        "Une personne de notre équipe va rejoindre ce chat dans un instant.",
        "Personne de notre équipe n'est disponible pour le moment. Laissez votre e-mail ou votre "
        "numéro de téléphone et nous vous recontacterons.",
        "{agent} de notre équipe a rejoint le chat.",
        "Vous discutez de nouveau avec notre assistant.",
        "Cette conversation est terminée.",
        "Comment évaluez-vous l'aide reçue ?",
        "Souhaitez-vous ajouter quelque chose ? (facultatif)",
        "Envoyer",
        "Merci pour votre avis !",
    ),
    "es": (
        "Una persona de nuestro equipo se unirá a este chat en breve.",
        "Ahora mismo no hay nadie disponible en nuestro equipo. Deje su correo o su teléfono y "
        "nos pondremos en contacto.",
        "{agent} de nuestro equipo se ha unido al chat.",
        "Vuelve a hablar con nuestro asistente.",
        "Esta conversación se ha cerrado.",
        "¿Cómo valora la ayuda que ha recibido?",
        "¿Quiere añadir algo? (opcional)",
        "Enviar",
        "¡Gracias por su opinión!",
    ),
    "it": (
        "Tra poco una persona del nostro team si unirà a questa chat.",
        "Al momento nessuno del nostro team è disponibile. Lasci la sua e-mail o il suo numero "
        "di telefono e la ricontatteremo.",
        "{agent} del nostro team si è unito alla chat.",
        "Sta di nuovo parlando con il nostro assistente.",
        "Questa conversazione è stata chiusa.",
        "Come valuta l'aiuto ricevuto?",
        "Vuole aggiungere qualcosa? (facoltativo)",
        "Invia",
        "Grazie per il suo feedback!",
    ),
    "pt": (
        "Uma pessoa da nossa equipe vai entrar neste chat em breve.",
        "No momento ninguém da nossa equipe está disponível. Deixe seu e-mail ou telefone e "
        "entraremos em contato.",
        "{agent} da nossa equipe entrou no chat.",
        "Você está conversando novamente com nosso assistente.",
        "Esta conversa foi encerrada.",
        "Como você avalia a ajuda que recebeu?",
        "Quer acrescentar algo? (opcional)",
        "Enviar",
        "Obrigado pelo seu feedback!",
    ),
    "nl": (
        "Zo dadelijk neemt iemand van ons team deze chat over.",
        "Er is nu niemand van ons team beschikbaar. Laat uw e-mailadres of telefoonnummer "
        "achter, dan nemen we contact op.",
        "{agent} van ons team neemt deel aan de chat.",
        "U chat weer met onze assistent.",
        "Dit gesprek is afgesloten.",
        "Hoe beoordeelt u de hulp die u kreeg?",
        "Wilt u nog iets toevoegen? (optioneel)",
        "Versturen",
        "Bedankt voor uw feedback!",
    ),
    "pl": (
        "Za chwilę do czatu dołączy osoba z naszego zespołu.",
        "W tej chwili nikt z naszego zespołu nie jest dostępny. Zostaw e-mail lub numer "
        "telefonu, a odezwiemy się.",
        "{agent} z naszego zespołu dołączył(a) do czatu.",
        "Znowu rozmawiasz z naszym asystentem.",
        "Ta rozmowa została zakończona.",
        "Jak oceniasz otrzymaną pomoc?",
        "Chcesz coś dodać? (opcjonalnie)",
        "Wyślij",
        "Dziękujemy za opinię!",
    ),
    "ru": (
        "Скоро к чату подключится сотрудник нашей команды.",
        "Сейчас никого из нашей команды нет на месте. Оставьте e-mail или телефон, и мы с вами "
        "свяжемся.",
        "{agent} из нашей команды подключился к чату.",
        "Вы снова общаетесь с нашим ассистентом.",
        "Этот разговор завершён.",
        "Как вы оцениваете полученную помощь?",
        "Хотите что-то добавить? (необязательно)",
        "Отправить",
        "Спасибо за ваш отзыв!",
    ),
    "zh": (
        "我们的客服人员马上就会加入对话。",
        "目前没有客服人员在线。请留下您的邮箱或电话，我们会尽快联系您。",
        "客服{agent}已加入对话。",
        "您现在再次与我们的智能助手对话。",
        "本次对话已结束。",
        "您对本次获得的帮助满意吗？",
        "还有什么想补充的吗？（选填）",
        "提交",
        "感谢您的反馈！",
    ),
    "ja": (
        "まもなく担当者がこのチャットに参加します。",
        "ただいま対応できる担当者がおりません。メールアドレスか電話番号を残していただければ、"
        "こちらからご連絡します。",
        "担当の{agent}がチャットに参加しました。",
        "再びアシスタントがお答えします。",
        "このお問い合わせは終了しました。",
        "今回のサポートはいかがでしたか？",
        "ご意見があればお書きください（任意）",
        "送信",
        "ご意見ありがとうございました！",
    ),
    "ko": (
        "곧 상담원이 이 채팅에 참여합니다.",
        "지금은 응대할 수 있는 상담원이 없습니다. 이메일이나 전화번호를 남겨 주시면 "
        "연락드리겠습니다.",
        "상담원 {agent}님이 채팅에 참여했습니다.",
        "다시 어시스턴트와 대화하고 있습니다.",
        "상담이 종료되었습니다.",
        "받으신 도움에 얼마나 만족하셨나요?",
        "덧붙일 말씀이 있나요? (선택)",
        "보내기",
        "의견 감사합니다!",
    ),
    "ar": (
        "سينضم أحد أفراد فريقنا إلى هذه المحادثة قريبًا.",
        "لا يوجد أحد من فريقنا متاح الآن. اترك بريدك الإلكتروني أو رقم هاتفك وسنتواصل معك.",
        "انضم {agent} من فريقنا إلى المحادثة.",
        "أنت تتحدث مع مساعدنا مرة أخرى.",
        "تم إغلاق هذه المحادثة.",
        "كيف تقيّم المساعدة التي تلقيتها؟",
        "هل تريد إضافة شيء؟ (اختياري)",
        "إرسال",
        "شكرًا على ملاحظاتك!",
    ),
    "hi": (
        "हमारी टीम का कोई व्यक्ति जल्द ही इस चैट में जुड़ेगा।",
        "अभी हमारी टीम से कोई उपलब्ध नहीं है। अपना ईमेल या फ़ोन नंबर छोड़ दें, हम आपसे संपर्क करेंगे।",
        "हमारी टीम से {agent} चैट में जुड़ गए हैं।",
        "अब आप फिर से हमारे सहायक से बात कर रहे हैं।",
        "यह बातचीत बंद कर दी गई है।",
        "आपको मिली मदद को आप कैसे आँकेंगे?",
        "कुछ और जोड़ना चाहेंगे? (वैकल्पिक)",
        "भेजें",
        "आपकी प्रतिक्रिया के लिए धन्यवाद!",
    ),
    "vi": (
        "Một nhân viên của chúng tôi sẽ sớm tham gia cuộc trò chuyện.",
        "Hiện chưa có nhân viên nào trực. Hãy để lại email hoặc số điện thoại, chúng tôi sẽ "
        "liên hệ lại với bạn.",
        "{agent} từ đội ngũ của chúng tôi đã tham gia cuộc trò chuyện.",
        "Bạn đang trò chuyện lại với trợ lý của chúng tôi.",
        "Cuộc trò chuyện này đã kết thúc.",
        "Bạn đánh giá sự hỗ trợ nhận được như thế nào?",
        "Bạn muốn bổ sung điều gì không? (không bắt buộc)",
        "Gửi",
        "Cảm ơn bạn đã góp ý!",
    ),
    "th": (
        "เจ้าหน้าที่ของเราจะเข้าร่วมแชทนี้ในไม่ช้า",
        "ขณะนี้ไม่มีเจ้าหน้าที่ว่าง กรุณาฝากอีเมลหรือเบอร์โทรศัพท์ไว้ แล้วเราจะติดต่อกลับ",
        "{agent} จากทีมของเราเข้าร่วมแชทแล้ว",
        "ตอนนี้คุณกลับมาคุยกับผู้ช่วยของเราอีกครั้ง",
        "การสนทนานี้สิ้นสุดแล้ว",
        "คุณให้คะแนนความช่วยเหลือที่ได้รับเท่าไร",
        "มีอะไรเพิ่มเติมไหม (ไม่บังคับ)",
        "ส่ง",
        "ขอบคุณสำหรับความคิดเห็น!",
    ),
    "tr": (
        "Ekibimizden biri birazdan bu sohbete katılacak.",
        "Şu anda ekibimizden kimse müsait değil. E-posta adresinizi veya telefon numaranızı "
        "bırakın, size dönelim.",
        "Ekibimizden {agent} sohbete katıldı.",
        "Yeniden asistanımızla konuşuyorsunuz.",
        "Bu görüşme kapatıldı.",
        "Aldığınız yardımı nasıl değerlendirirsiniz?",
        "Eklemek istediğiniz bir şey var mı? (isteğe bağlı)",
        "Gönder",
        "Geri bildiriminiz için teşekkürler!",
    ),
}


def text(key: str, language: str, **values: str) -> str:
    """The string ``key`` in ``language`` (English when the language has none)."""
    table = _TEXTS.get((language or "en").split("-")[0].lower(), _TEXTS["en"])
    return table[KEYS.index(key)].format(**values)
