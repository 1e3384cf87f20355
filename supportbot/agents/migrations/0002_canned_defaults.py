"""A few canned answers per language so a new deployment's console is not empty."""

from django.db import migrations

DEFAULTS = {
    "en": [
        ("Greeting", "Hi, I'm {agent} from the support team. I've read your conversation and I'm happy to help."),
        ("Checking", "Thanks for your patience, I'm checking this for you now."),
        ("Closing", "Is there anything else I can help you with today?"),
    ],
    "de": [
        ("Begrüßung", "Hallo, ich bin {agent} vom Support-Team. Ich habe Ihr Gespräch gelesen und helfe Ihnen gern."),
        ("Prüfung", "Danke für Ihre Geduld, ich prüfe das gerade für Sie."),
        ("Abschluss", "Kann ich Ihnen heute sonst noch helfen?"),
    ],
    "fr": [
        ("Accueil", "Bonjour, je suis {agent} du service client. J'ai lu votre conversation et je vais vous aider."),
        ("Vérification", "Merci de votre patience, je vérifie cela pour vous."),
        ("Clôture", "Puis-je vous aider pour autre chose aujourd'hui ?"),
    ],
    "es": [
        ("Saludo", "Hola, soy {agent} del equipo de soporte. He leído su conversación y con gusto le ayudo."),
        ("Comprobación", "Gracias por su paciencia, lo estoy comprobando ahora."),
        ("Cierre", "¿Hay algo más en lo que pueda ayudarle hoy?"),
    ],
    "zh": [
        ("问候", "您好，我是客服{agent}。我已经看过您的对话，很乐意为您提供帮助。"),
        ("核实", "感谢您的耐心等待，我正在为您核实。"),
        ("结束", "请问还有其他可以帮您的吗？"),
    ],
}


def add_defaults(apps, schema_editor):
    canned = apps.get_model("agents", "CannedResponse")
    for language, items in DEFAULTS.items():
        for title, text in items:
            canned.objects.get_or_create(language=language, title=title, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
