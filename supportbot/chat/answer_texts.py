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
